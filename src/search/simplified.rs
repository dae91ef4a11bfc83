//! Traditional Chinese read as simplified, character by character, with OpenCC's table
//! (`lexicon/t2s.txt`, made by `lexicon/t2s.py`): notes and queries meet whichever script
//! each is written in (`同步設定` finds `同步设置`'s words).

use rustc_hash::FxHashMap;

const PAIRS: &str = include_str!("lexicon/t2s.txt");

/// The characters the Basic Multilingual Plane holds, a bit each.
const PLANE: usize = 0x10000;

pub struct Simplified {
    /// The simplified character of each traditional one the table changes.
    of: FxHashMap<char, char>,
    /// Those traditional characters of the Basic Multilingual Plane, a bit each by code point:
    /// most Chinese text holds none, and telling so costs a shift a character.
    in_plane: Box<[u64]>,
}

/// The table, read on first use. Take it once a text: a `LazyLock` checks that it is made
/// each time it is read.
pub fn table() -> &'static Simplified {
    static TABLE: std::sync::LazyLock<Simplified> = std::sync::LazyLock::new(|| Simplified::read(PAIRS));
    &TABLE
}

impl Simplified {
    /// Lines of `traditional simplified`; `#` starts a comment. A line of anything else is
    /// left out (the file is generated; a test reads every line).
    fn read(pairs: &str) -> Simplified {
        let mut of = FxHashMap::default();
        let mut in_plane = vec![0u64; PLANE / 64].into_boxed_slice();
        for line in pairs.lines().filter(|line| !line.starts_with('#')) {
            let mut chars = line.chars();
            if let (Some(traditional), Some(' '), Some(simplified), None) =
                (chars.next(), chars.next(), chars.next(), chars.next())
            {
                of.insert(traditional, simplified);
                if let Some(word) = in_plane.get_mut(traditional as usize / 64) {
                    *word |= 1 << (traditional as usize % 64);
                }
            }
        }
        Simplified { of, in_plane }
    }

    /// Whether `c` reads otherwise in simplified Chinese.
    pub fn changes(&self, c: char) -> bool {
        let at = c as usize;
        if at < PLANE {
            self.in_plane
                .get(at / 64)
                .is_some_and(|word| word & (1 << (at % 64)) != 0)
        } else {
            self.of.contains_key(&c)
        }
    }

    /// `text` with each traditional character simplified.
    pub fn convert(&self, text: &str) -> String {
        (text.chars())
            .map(|c| {
                if self.changes(c) {
                    self.of.get(&c).copied().unwrap_or(c)
                } else {
                    c
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_table_is_read() {
        let lines = PAIRS.lines().filter(|line| !line.starts_with('#')).count();
        assert!(lines > 4000, "{lines}");
        assert_eq!(table().of.len(), lines);
    }

    #[test]
    fn traditional_text_is_simplified_and_the_rest_kept() {
        let table = table();
        assert_eq!(table.convert("同步設定與後臺"), "同步设定与后台");
        assert_eq!(table.convert("乾淨的頭髮"), "干净的头发");
        // Beyond the Basic Multilingual Plane too (`𧾷` is none of the table's: kept).
        assert_eq!(table.convert("𫜦𧾷 ab 1"), "𫜫𧾷 ab 1");
        // A character that is its own default too is read as its other form: a traditional
        // `瞭解` finds `了解`, and the rare simplified `覆盖` is `复盖` on both sides.
        assert_eq!(table.convert("藉口瞭解覆盖"), "借口了解复盖");
        assert!(!table.changes('a') && !table.changes('设') && table.changes('設'));
        // A line of anything but two characters and a space is left out.
        let read = Simplified::read("# c\n設 设\n設设\n長 长 x\n");
        assert_eq!(read.of.len(), 1);
    }
}
