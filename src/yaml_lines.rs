//! Where things are in a block-style YAML file. serde_yaml reports positions for errors but
//! not for values, so findings get their lines from this small scan of the text instead.

/// The indentation of a line and its content after the indentation.
fn split_indent(line: &str) -> (usize, &str) {
    let trimmed = line.trim_start_matches(' ');
    (line.len() - trimmed.len(), trimmed)
}

fn is_blank_or_comment(content: &str) -> bool {
    content.is_empty() || content.starts_with('#')
}

/// The key a `key:` or `key: value` line defines, if any.
fn key_of(content: &str) -> Option<&str> {
    let content = content.strip_prefix("- ").unwrap_or(content);
    let (key, _) = content.split_once(':')?;
    let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
    let plain = key.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    (!key.is_empty() && plain).then_some(key)
}

/// 1-based line of a top-level `key:`.
pub fn top_level_key(text: &str, key: &str) -> Option<u32> {
    text.lines().enumerate().find_map(|(i, line)| {
        let (indent, content) = split_indent(line);
        (indent == 0 && key_of(content) == Some(key) && !content.starts_with("- ")).then_some(i as u32 + 1)
    })
}

/// The lines of the block under a top-level key: `(start, end)` as 0-based line indexes, end
/// exclusive.
fn block(lines: &[&str], key_line: usize) -> (usize, usize) {
    let mut end = key_line + 1;
    while end < lines.len() {
        let (indent, content) = split_indent(lines[end]);
        if indent == 0 && !is_blank_or_comment(content) && !content.starts_with("- ") && content != "-" {
            break;
        }
        end += 1;
    }
    (key_line + 1, end)
}

/// 1-based lines where each item of the block sequence under a top-level key starts. A flow
/// sequence (`key: [a, b]`) has no item lines; the caller falls back to the key's line.
pub fn sequence_items(text: &str, key: &str) -> Vec<u32> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(key_line) = top_level_key(text, key) else {
        return Vec::new();
    };
    let (start, end) = block(&lines, key_line as usize - 1);
    let mut item_indent = None;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate().take(end).skip(start) {
        let (indent, content) = split_indent(line);
        if content.starts_with("- ") || content == "-" {
            let first = *item_indent.get_or_insert(indent);
            if indent == first {
                out.push(i as u32 + 1);
            }
        }
    }
    out
}

/// For each item of the block sequence under a top-level key, the 1-based line of its `child`
/// key (the item's `scope:` key, say), or of the item's first line. One scan of the text.
pub fn item_keys(text: &str, key: &str, child: &str) -> Vec<u32> {
    let items = sequence_items(text, key);
    let Some(key_line) = top_level_key(text, key) else {
        return Vec::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let (_, block_end) = block(&lines, key_line as usize - 1);
    items
        .iter()
        .enumerate()
        .map(|(index, &start)| {
            let end = items.get(index + 1).map_or(block_end, |n| *n as usize - 1);
            (start as usize - 1..end)
                .find(|&i| key_of(split_indent(lines[i]).1) == Some(child))
                .map_or(start, |i| i as u32 + 1)
        })
        .collect()
}

/// 1-based lines of the keys directly inside a top-level mapping key, by key name.
pub fn mapping_keys(text: &str, key: &str) -> Vec<(String, u32)> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(key_line) = top_level_key(text, key) else {
        return Vec::new();
    };
    let (start, end) = block(&lines, key_line as usize - 1);
    let mut child_indent = None;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate().take(end).skip(start) {
        let (indent, content) = split_indent(line);
        if is_blank_or_comment(content) {
            continue;
        }
        let first = *child_indent.get_or_insert(indent);
        if indent == first && !content.starts_with("- ") {
            if let Some(k) = key_of(content) {
                out.push((k.to_string(), i as u32 + 1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "app: A
# comment
scopes:
  - scope: api
    justification: x
  -   scope: web
- scope: z
tools: [a]
settings:
  admin_approved: true
  callback_urls:
    - https://a
  ip_relaxation: ENFORCE
";

    #[test]
    fn finds_items_keys_and_settings() {
        assert_eq!(top_level_key(TEXT, "scopes"), Some(3));
        assert_eq!(sequence_items(TEXT, "scopes"), vec![4, 6]);
        assert_eq!(item_keys(TEXT, "scopes", "scope"), vec![4, 6]);
        assert_eq!(item_keys(TEXT, "scopes", "justification"), vec![5, 6]);
        assert_eq!(sequence_items(TEXT, "tools"), Vec::<u32>::new());
        assert_eq!(
            mapping_keys(TEXT, "settings"),
            vec![
                ("admin_approved".into(), 10),
                ("callback_urls".into(), 11),
                ("ip_relaxation".into(), 13)
            ]
        );
    }

    #[test]
    fn zero_indent_sequences_are_items() {
        let text = "scopes:\n- scope: a\n- scope: b\napp: x\n";
        assert_eq!(sequence_items(text, "scopes"), vec![2, 3]);
    }
}
