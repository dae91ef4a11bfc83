//! Merge conflicts left in a note by git (`<<<<<<<`, `=======`, `>>>>>>>`): a note holding
//! one is refused, or both sides would be served, the markers and a commit id among them.

/// The lines (1-based) of the first conflict's `<<<<<<<` and `>>>>>>>`, outside fenced code
/// (a note about git may show one).
pub fn find(text: &str) -> Option<(usize, usize)> {
    // Most notes hold no marker: one fast look.
    memchr::memmem::find(text.as_bytes(), b"<<<<<<<")?;
    let mut fence: Option<(char, usize)> = None;
    // The line of the `<<<<<<<` open, and whether its `=======` came.
    let mut open: Option<(usize, bool)> = None;
    for (at, line) in text.lines().enumerate() {
        let indented = line.len() - line.trim_start_matches(' ').len();
        let trimmed = line.trim_start_matches(' ');
        if indented <= 3
            && let Some(marker) = fence_of(trimmed)
        {
            fence = match fence {
                None => Some(marker),
                Some((c, n)) if marker.0 == c && marker.1 >= n && is_bare_fence(trimmed) => None,
                still => still,
            };
            continue;
        }
        if fence.is_some() {
            continue;
        }
        match (open, marker_of(line)) {
            (_, Some('<')) => open = Some((at + 1, false)),
            (Some((start, _)), Some('=')) => open = Some((start, true)),
            (Some((start, true)), Some('>')) => return Some((start, at + 1)),
            _ => {}
        }
    }
    None
}

/// A conflict marker: seven of `<`, `=` or `>` starting the line, then nothing or a space.
fn marker_of(line: &str) -> Option<char> {
    let c = line.chars().next().filter(|c| matches!(c, '<' | '=' | '>'))?;
    let rest = line.get(7..)?;
    (line.bytes().take(7).all(|b| b == c as u8) && (rest.is_empty() || rest.starts_with(' '))).then_some(c)
}

/// A code fence's character and length: three or more backticks or tildes.
fn fence_of(line: &str) -> Option<(char, usize)> {
    let c = line.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let run = line.len() - line.trim_start_matches(c).len();
    (run >= 3).then_some((c, run))
}

/// A closing fence holds nothing after its run.
fn is_bare_fence(line: &str) -> bool {
    line.trim_start_matches(['`', '~']).trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn a_conflict_is_found_with_its_lines() {
        let text = "# Home\n<<<<<<< HEAD\n## Get started (upstream)\n=======\n## Get started (local)\n>>>>>>> c896232 (local: wording)\n";
        assert_eq!(find(text), Some((2, 6)));
        // diff3 style, and in the front matter.
        let text =
            "---\n<<<<<<< ours\ntitle: A\n||||||| base\ntitle: O\n=======\ntitle: B\n>>>>>>> theirs\n---\n";
        assert_eq!(find(text), Some((2, 8)));
    }

    #[test]
    fn markers_that_are_no_conflict_are_left() {
        for text in [
            "# A\n\nTitle\n=======\n\ntext\n",
            "```\n<<<<<<< HEAD\na\n=======\nb\n>>>>>>> x\n```\n",
            "~~~~ text\n<<<<<<< HEAD\n~~~\n=======\n>>>>>>> x\n~~~~\n",
            "<<<<<<< HEAD\nno middle\n>>>>>>> x\n",
            "<<<<<<<< eight\n=======\n>>>>>>> x\n",
            "- <<<<<<< in an item\n=======\n>>>>>>> x\n",
        ] {
            assert_eq!(find(text), None, "{text:?}");
        }
    }
}
