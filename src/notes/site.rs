//! Where the notes are published and which files to leave out: source links for sections
//! and wikilinks (`link_base`, per folder), and ignore globs.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// How the notes folder maps to a published site. The default links nothing and ignores
/// nothing beyond hidden files and folders (`.obsidian/`, `.trash/`).
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// (folder under the notes folder, `/`-separated, empty for all; base URL), longest
    /// folder first.
    bases: Vec<(String, String)>,
    ignore: Vec<Glob>,
    /// Every note file found, `/`-separated under the notes folder, without `.md`: the
    /// targets of wikilinks.
    files: Vec<String>,
    /// `files` by their last component, lowercased: a wikilink looks at the files of its
    /// name only (looking at every file, 1.6 million wikilinks among 10,000 files took
    /// more than 15 minutes).
    by_name: HashMap<String, Vec<usize>>,
    /// The `permalink:` of each note that sets one, by its file (as in `files`): a wikilink
    /// to it links there, as the note's own sections do.
    permalinks: HashMap<String, String>,
}

impl Site {
    /// `link_base` for every note, `folders` (folder → base URL) for the notes under them.
    pub fn new(link_base: Option<&str>, folders: &[(String, String)], ignore: &[String]) -> Site {
        let mut bases: Vec<(String, String)> = folders
            .iter()
            .map(|(folder, url)| (folder.trim_matches('/').to_string(), with_slash(url)))
            .collect();
        if let Some(base) = link_base {
            bases.push((String::new(), with_slash(base)));
        }
        bases.sort_by_key(|(folder, _)| std::cmp::Reverse(folder.len()));
        Site {
            bases,
            ignore: ignore.iter().map(|pattern| Glob::new(pattern)).collect(),
            files: Vec::new(),
            by_name: HashMap::new(),
            permalinks: HashMap::new(),
        }
    }

    /// Remembers the notes' permalinks (file relative to the notes folder → `permalink:`);
    /// whether they changed, and the notes holding wikilinks must be read again.
    pub fn set_permalinks<'a>(&mut self, permalinks: impl IntoIterator<Item = (&'a Path, &'a str)>) -> bool {
        let permalinks: HashMap<String, String> = (permalinks.into_iter())
            .map(|(file, link)| {
                (
                    slash_path(&file.with_extension("")),
                    link.trim_matches('/').to_string(),
                )
            })
            .collect();
        let changed = permalinks != self.permalinks;
        self.permalinks = permalinks;
        changed
    }

    /// Remembers the note files (paths relative to the notes folder) wikilinks may name.
    pub fn set_files(&mut self, files: impl IntoIterator<Item = PathBuf>) {
        self.files = files
            .into_iter()
            .map(|path| slash_path(&path.with_extension("")))
            .collect();
        self.files.sort();
        self.by_name.clear();
        for (at, file) in self.files.iter().enumerate() {
            let name = file.rsplit('/').next().unwrap_or(file).to_lowercase();
            self.by_name.entry(name).or_default().push(at);
        }
    }

    /// Whether a file or folder (relative to the notes folder) matches an ignore glob.
    pub fn ignores(&self, relative: &Path) -> bool {
        let path = slash_path(relative);
        self.ignore.iter().any(|glob| glob.matches(&path))
    }

    /// Whether any path is ignored (else a walk need not work out paths to ask).
    pub fn ignores_any(&self) -> bool {
        !self.ignore.is_empty()
    }

    /// The base URL and the note's path under it, for a note at `relative`.
    fn base_for<'a>(&'a self, relative: &'a str) -> Option<(&'a str, &'a str)> {
        self.bases.iter().find_map(|(folder, url)| {
            if folder.is_empty() {
                return Some((url.as_str(), relative));
            }
            let rest = relative.strip_prefix(folder.as_str())?.strip_prefix('/')?;
            Some((url.as_str(), rest))
        })
    }

    /// The page URL of a note at `relative` (no `.md`), or its `permalink`.
    pub fn page_url(&self, relative: &Path, permalink: Option<&str>) -> Option<String> {
        let relative = slash_path(&relative.with_extension(""));
        let (base, path) = self.base_for(&relative)?;
        let path = permalink.map_or(path, |p| p.trim_matches('/'));
        Some(format!("{base}{}", encode(path, true)))
    }

    /// The URL a wikilink `[[target#heading]]` in the note at `from` points to: the note file
    /// of that name nearest to `from` (Obsidian's rule: shortest path wins). `None` when no
    /// base is set or no such note exists.
    pub fn wikilink_url(&self, from: &Path, target: &str) -> Option<String> {
        if self.bases.is_empty() {
            return None;
        }
        // In a table the `|` before a wikilink's text is escaped: `[[Note\\|text]]`.
        let target = target.trim_end_matches('\\');
        let (name, heading) = target.split_once('#').unwrap_or((target, ""));
        let from = slash_path(&from.with_extension(""));
        let file = if name.trim().is_empty() {
            from.clone()
        } else {
            let name = name.trim().trim_end_matches(".md").to_lowercase();
            let last = name.rsplit('/').next().unwrap_or(&name);
            (self.by_name.get(last)?.iter())
                .filter_map(|&at| self.files.get(at))
                .filter(|file| {
                    let file = file.to_lowercase();
                    file == name || file.ends_with(&format!("/{name}"))
                })
                .min_by_key(|file| (!same_base(self, file, &from), file.len()))?
                .clone()
        };
        let (base, path) = self.base_for(&file)?;
        let path = self.permalinks.get(&file).map_or(path, String::as_str);
        let mut url = format!("{base}{}", encode(path, true));
        // `Note#Heading#Subheading` links to the innermost heading; `#^id` to the page.
        let heading = heading.rsplit('#').next().unwrap_or_default().trim();
        if !heading.is_empty() && !heading.starts_with('^') {
            url.push('#');
            url.push_str(&encode(heading, false));
        }
        Some(url)
    }
}

fn same_base(site: &Site, a: &str, b: &str) -> bool {
    site.base_for(a).map(|(base, _)| base) == site.base_for(b).map(|(base, _)| base)
}

fn with_slash(url: &str) -> String {
    let url = url.trim();
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

/// A relative path with `/` between its parts, whatever the platform.
pub fn slash_path(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encodes all but unreserved characters (and `/` in a path).
pub fn encode(text: &str, path: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || (path && byte == b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A gitignore-like pattern: `*` and `?` within one part of a path, `**` across parts. A
/// pattern without `/` matches a file or folder of that name anywhere.
#[derive(Debug, Clone)]
struct Glob {
    parts: Vec<String>,
    anywhere: bool,
}

impl Glob {
    fn new(pattern: &str) -> Glob {
        let pattern = pattern.trim().trim_start_matches("./");
        let anywhere = !pattern.trim_end_matches('/').contains('/');
        Glob {
            parts: pattern
                .trim_matches('/')
                .split('/')
                .filter(|part| !part.is_empty())
                .map(str::to_string)
                .collect(),
            anywhere,
        }
    }

    fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        if self.parts.is_empty() {
            return false;
        }
        if self.anywhere {
            return parts.iter().any(|part| matches_part(&self.parts[0], part));
        }
        // A folder that matches covers everything under it.
        (1..=parts.len()).any(|n| matches_parts(&self.parts, &parts[..n]))
    }
}

/// Dynamic programming over parts: no recursion, no backtracking blow-up.
fn matches_parts(pattern: &[String], path: &[&str]) -> bool {
    // reach[j]: the pattern so far matches the first j parts of the path.
    let mut reach = vec![false; path.len() + 1];
    reach[0] = true;
    for part in pattern {
        let mut next = vec![false; path.len() + 1];
        for j in 0..=path.len() {
            if !reach[j] {
                continue;
            }
            if part == "**" {
                next[j..].iter_mut().for_each(|r| *r = true);
                break;
            }
            if j < path.len() && matches_part(part, path[j]) {
                next[j + 1] = true;
            }
        }
        reach = next;
    }
    reach[path.len()]
}

/// `*` and `?` within one name, by dynamic programming over characters.
fn matches_part(pattern: &str, name: &str) -> bool {
    let name: Vec<char> = name.chars().collect();
    let mut reach = vec![false; name.len() + 1];
    reach[0] = true;
    for p in pattern.chars() {
        let mut next = vec![false; name.len() + 1];
        for j in 0..=name.len() {
            if !reach[j] {
                continue;
            }
            match p {
                '*' => {
                    next[j..].iter_mut().for_each(|r| *r = true);
                    break;
                }
                '?' if j < name.len() => next[j + 1] = true,
                c if j < name.len() && name[j] == c => next[j + 1] = true,
                _ => {}
            }
        }
        reach = next;
    }
    reach[name.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names_anywhere_and_paths_from_the_top() {
        let site = Site::new(
            None,
            &[],
            &["drafts".into(), "*.excalidraw.md".into(), "en/**/old-*".into()],
        );
        assert!(site.ignores(Path::new("drafts/a.md")));
        assert!(site.ignores(Path::new("x/drafts/a.md")));
        assert!(site.ignores(Path::new("x/b.excalidraw.md")));
        assert!(site.ignores(Path::new("en/a/b/old-note.md")));
        assert!(site.ignores(Path::new("en/old-x")));
        assert!(!site.ignores(Path::new("zh/old-x.md")));
        assert!(!site.ignores(Path::new("x/draft.md")));
    }

    #[test]
    fn page_and_wikilink_urls_use_the_nearest_base_and_encode() {
        let mut site = Site::new(
            Some("https://example.com/all"),
            &[("zh".into(), "https://example.com/zh/help/".into())],
            &[],
        );
        site.set_files(
            [
                "en/Linking/Internal links.md",
                "zh/链接.md",
                "zh/Internal links.md",
            ]
            .map(PathBuf::from),
        );
        assert_eq!(
            site.page_url(Path::new("zh/链接.md"), None).as_deref(),
            Some("https://example.com/zh/help/%E9%93%BE%E6%8E%A5")
        );
        assert_eq!(
            site.page_url(Path::new("en/a b.md"), Some("/links")).as_deref(),
            Some("https://example.com/all/links")
        );
        assert_eq!(
            site.wikilink_url(Path::new("en/x.md"), "Internal links#Link to a heading")
                .as_deref(),
            Some("https://example.com/all/en/Linking/Internal%20links#Link%20to%20a%20heading")
        );
        assert_eq!(
            site.wikilink_url(Path::new("zh/x.md"), "internal links#^b15695")
                .as_deref(),
            Some("https://example.com/zh/help/Internal%20links")
        );
        assert_eq!(
            site.wikilink_url(Path::new("en/x.md"), "Internal links#Top#Sub")
                .as_deref(),
            Some("https://example.com/all/en/Linking/Internal%20links#Sub")
        );
        assert_eq!(site.wikilink_url(Path::new("en/x.md"), "Missing"), None);
        assert_eq!(Site::default().wikilink_url(Path::new("x.md"), "x"), None);
        // A path in the link, in any case.
        assert_eq!(
            site.wikilink_url(Path::new("en/x.md"), "LINKING/internal links")
                .as_deref(),
            Some("https://example.com/all/en/Linking/Internal%20links")
        );
        assert_eq!(
            site.wikilink_url(Path::new("en/x.md"), "inking/Internal links"),
            None
        );
    }

    /// A wikilink looks at the files of its name, not at every file: 200,000 links among
    /// 10,000 files (each file looked at for each link: 2 billion looks, minutes).
    #[test]
    fn wikilinks_among_many_files_resolve_quickly() {
        let mut site = Site::new(Some("https://example.com/"), &[], &[]);
        site.set_files((0..10_000).map(|n| PathBuf::from(format!("f{}/note {n}.md", n % 10))));
        let started = std::time::Instant::now();
        for n in 0..200_000 {
            let url = site.wikilink_url(Path::new("f1/x.md"), &format!("Note {}", n % 10_000));
            assert!(url.is_some());
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
}
