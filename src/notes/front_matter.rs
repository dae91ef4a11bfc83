//! YAML front matter: the `---` block at the top of a note.

use serde::Deserialize;
use serde_yaml::Value;

use super::model::FrontMatter;

/// The front matter and the line (1-based) where the markdown body starts.
pub struct Split<'a> {
    pub yaml: Option<&'a str>,
    pub body: &'a str,
    pub body_line: usize,
    /// An opening `---` followed by `key:` lines and never closed.
    pub unclosed: bool,
}

/// Splits `---\n…\n---\n` off the top of a note; the text must already use `\n` line ends.
pub fn split(text: &str) -> Split<'_> {
    let no_front = Split {
        yaml: None,
        body: text,
        body_line: 1,
        unclosed: false,
    };
    let Some(rest) = text.strip_prefix("---\n") else {
        return no_front;
    };
    let mut offset = 0;
    for (index, line) in rest.split_inclusive('\n').enumerate() {
        if matches!(line.trim_end(), "---" | "...") {
            return Split {
                yaml: Some(&rest[..offset]),
                body: &rest[offset + line.len()..],
                body_line: index + 3,
                unclosed: false,
            };
        }
        offset += line.len();
    }
    // An opening `---` with no closing one is a thematic break, unless YAML keys follow.
    let first = rest.lines().next().unwrap_or_default();
    let looks_like_yaml = first.split_once(':').is_some_and(|(key, _)| {
        !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    });
    Split {
        unclosed: looks_like_yaml,
        ..no_front
    }
}

/// A front matter error with the 1-based line inside the YAML block, when known.
pub struct YamlError {
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Raw {
    title: Value,
    tags: Value,
    date: Value,
    command: Value,
    description: Value,
    aliases: Value,
    alias: Value,
    tag: Value,
    permalink: Value,
    publish: Value,
}

pub fn parse(yaml: &str) -> Result<FrontMatter, YamlError> {
    if yaml.trim().is_empty() {
        return Ok(FrontMatter::default());
    }
    let raw: Raw = serde_yaml::from_str(yaml).map_err(|error| YamlError {
        line: error.location().map(|location| location.line()),
        message: strip_location(&error.to_string()),
    })?;
    let tags = list(&raw.tags).into_iter().chain(list(&raw.tag));
    Ok(FrontMatter {
        title: scalar(&raw.title),
        // Obsidian accepts `#tag` in the list too.
        tags: tags.map(|tag| tag.trim_start_matches('#').to_string()).collect(),
        date: scalar(&raw.date),
        command: scalar(&raw.command),
        description: scalar(&raw.description),
        aliases: list(&raw.aliases).into_iter().chain(list(&raw.alias)).collect(),
        permalink: scalar(&raw.permalink),
        publish: match raw.publish {
            Value::Bool(publish) => Some(publish),
            _ => None,
        },
    })
}

/// serde_yaml appends " at line L column C"; we report the line ourselves.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

fn scalar(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// A string or a list of strings; empty entries are dropped.
fn list(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(items) => items.iter().filter_map(scalar).collect(),
        other => scalar(other).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_and_counts_body_line() {
        let split = split("---\ntitle: A\n---\n# H\n");
        assert_eq!(split.yaml, Some("title: A\n"));
        assert_eq!(split.body, "# H\n");
        assert_eq!(split.body_line, 4);
    }

    #[test]
    fn unclosed_front_matter_is_body_and_flagged_when_keys_follow() {
        let unclosed = split("---\ntitle: A\n# H\n");
        assert!(unclosed.yaml.is_none());
        assert_eq!(unclosed.body_line, 1);
        assert!(unclosed.unclosed);
        let rule = split("---\nSome text: after a rule\n");
        assert!(!rule.unclosed);
    }

    #[test]
    fn obsidian_keys() {
        let front = parse("alias: a\ntag: '#x'\npermalink: links\npublish: false\n").unwrap_or_default();
        assert_eq!(front.aliases, vec!["a"]);
        assert_eq!(front.tags, vec!["x"]);
        assert_eq!(front.permalink.as_deref(), Some("links"));
        assert_eq!(front.publish, Some(false));
    }

    #[test]
    fn tags_as_string_or_list_and_unknown_keys_ignored() {
        let parsed = |yaml: &str| parse(yaml).unwrap_or_else(|e| panic!("{yaml:?}: {}", e.message));
        let one = parsed("title: T\ntags: ai\nsticky: 9\n");
        assert_eq!(one.tags, vec!["ai"]);
        let many = parsed("tags: [a, b]\ndate: 2023-02-20 13:00:00\n");
        assert_eq!(many.tags, vec!["a", "b"]);
        assert_eq!(many.date.as_deref(), Some("2023-02-20 13:00:00"));
        let empty = parsed("tags:\n");
        assert!(empty.tags.is_empty());
    }

    #[test]
    fn invalid_yaml_reports_line() {
        let Err(error) = parse("title: ok\ntags: [a, b\n") else {
            panic!("expected an error");
        };
        assert!(error.line.is_some());
        assert!(!error.message.contains(" at line "));
    }
}
