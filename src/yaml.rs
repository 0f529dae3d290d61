//! Reading YAML with serde-saphyr: typed values, the lines of keys (from the parser, whatever
//! the style: block, flow, indented, after `---` or comments), and errors on one line as
//! `path:line:column: message`, the message prefixed with where in the document it is
//! (`scopes[0].required: …`). The parser's limits refuse alias bombs and deep nesting.

use crate::source_file::FileError;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::{ErrorKind, Event, Parser};
use serde_saphyr::{Error, ExternalMessageSource, Location, Spanned};
use std::fmt;

/// Aliases may stand for at most this many parse events in all: plenty for the few anchors a
/// hand-written manifest, policy, catalog or rule uses, far below what an alias bomb needs.
const MAX_REPLAYED_EVENTS: usize = 100_000;

/// Block collections nested deeper than this are refused (flow ones past 255 by the parser).
const MAX_DEPTH: usize = 64;

fn options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    // Errors become one line here; no source snippets.
    options.with_snippet = false;
    options.alias_limits.max_total_replayed_events = MAX_REPLAYED_EVENTS;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    options.budget = Some(budget);
    options
}

/// Deserializes one YAML document. `path` is how the user named the file, for errors.
pub fn from_str<T: DeserializeOwned>(path: &str, text: &str) -> Result<T, FileError> {
    serde_saphyr::from_str_with_options(text, options()).map_err(|e| error(path, text, &e))
}

/// A 1-based line, if the parser knew it.
fn line_of(location: Location) -> Option<u32> {
    u32::try_from(location.line()).ok().filter(|&l| l > 0)
}

/// The line a value starts on.
fn value_line<T>(value: &Spanned<T>) -> Option<u32> {
    line_of(value.referenced)
}

/// A mapping (a struct or a map) together with the line of each of its keys, in order.
#[derive(Debug)]
pub struct Keyed<T> {
    pub value: T,
    keys: Vec<(String, u32)>,
}

impl<T> Keyed<T> {
    /// The line of a key, if the mapping has it.
    pub fn line(&self, key: &str) -> Option<u32> {
        self.keys.iter().find(|(k, _)| k == key).map(|(_, l)| *l)
    }

    /// Every key with its line, in the order of the document.
    pub fn key_lines(&self) -> impl Iterator<Item = (&str, u32)> {
        self.keys.iter().map(|(k, l)| (k.as_str(), *l))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Keyed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut keys = Vec::new();
        let value = T::deserialize(KeyRecorder {
            inner: deserializer,
            keys: &mut keys,
        })?;
        Ok(Keyed { value, keys })
    }
}

/// Hands `T` the mapping it asks for, noting where each key is on the way.
struct KeyRecorder<'k, D> {
    inner: D,
    keys: &'k mut Vec<(String, u32)>,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyRecorder<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(KeyVisitor {
            inner: visitor,
            keys: self.keys,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_struct(
            name,
            fields,
            KeyVisitor {
                inner: visitor,
                keys: self.keys,
            },
        )
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// Accepts only a mapping (a sequence is no way to write one of our structs).
struct KeyVisitor<'k, V> {
    inner: V,
    keys: &'k mut Vec<(String, u32)>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(KeyMap {
            inner: map,
            keys: self.keys,
        })
    }
}

struct KeyMap<'k, A> {
    inner: A,
    keys: &'k mut Vec<(String, u32)>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for KeyMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.inner.next_key::<Spanned<String>>()? else {
            return Ok(None);
        };
        if let Some(line) = value_line(&key) {
            self.keys.push((key.value.clone(), line));
        }
        let name: de::value::StringDeserializer<A::Error> = key.value.into_deserializer();
        seed.deserialize(name).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A YAML value with where each part of it starts, for readers that check a whole document
/// and report every problem at once rather than stop at the first.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number, as text.
    Number(String),
    String(String),
    List(Vec<Located<Value>>),
    /// Keys in document order (a repeated key is refused by the parser).
    Map(Vec<(Located<String>, Located<Value>)>),
}

/// A value and the 1-based line and column it starts at (where an alias is used, for one).
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub line: usize,
    pub column: usize,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<T>::deserialize(deserializer)?;
        Ok(Located {
            line: usize::try_from(spanned.referenced.line()).unwrap_or(0),
            column: usize::try_from(spanned.referenced.column()).unwrap_or(0),
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Number(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Number(v.to_string()))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
                Ok(Value::Number(v.to_string()))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
                Ok(Value::Number(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Number(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value::String(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
                Ok(Value::String(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Located<Value>>()? {
                    items.push(item);
                }
                Ok(Value::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Located<String>>()? {
                    let value = map.next_value::<Located<Value>>()?;
                    entries.push((key, value));
                }
                Ok(Value::Map(entries))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Reads one YAML document into a [`Value`] with positions, with the same limits as
/// [`from_str`].
pub fn value_from_str(path: &str, text: &str) -> Result<Located<Value>, FileError> {
    from_str(path, text)
}

/// The names a key or value could have been, as serde words them: for readers that check
/// values themselves.
pub fn expected_one_of(names: &[&str]) -> String {
    one_of(names)
}

/// The parser's error as a located one-line error, its message in words for the user.
fn error(path: &str, text: &str, err: &Error) -> FileError {
    let mut inner = err;
    while let Error::WithSnippet { error, .. } | Error::AliasError { error, .. } = inner {
        inner = error;
    }
    // The message may quote the input: no control characters reach the terminal.
    let mut message = String::new();
    for c in describe(inner).chars() {
        match c {
            c if c.is_whitespace() => message.push(' '),
            c if c.is_control() => message.extend(c.escape_debug()),
            c => message.push(c),
        }
    }
    let Some(location) = err.location().filter(|l| l.line() > 0) else {
        return FileError::new(path, message);
    };
    let (line, column) = (location.line() as usize, location.column() as usize);
    if matches!(inner, Error::MultipleDocuments { .. }) {
        let (line, column) = second_document(text).unwrap_or((line, column));
        return FileError::at(path, line, Some(column), message);
    }
    let Some(node) = find_node(text, line, column) else {
        return FileError::at(path, line, Some(column), message);
    };
    // Errors about keys: an unknown, repeated or missing one is a problem of its mapping.
    let about_key = matches!(
        inner,
        Error::SerdeUnknownField { .. } | Error::DuplicateMappingKey { .. } | Error::SerdeMissingField { .. }
    );
    let (line, column, within) = match node.key {
        // Missing from a mapping: point at the mapping, as serde_yaml did.
        Some(_) if matches!(inner, Error::SerdeMissingField { .. }) => {
            let (l, c) = node.mapping_start.unwrap_or((line, column));
            (l, c, node.parent)
        }
        Some(_) if about_key => (line, column, node.parent),
        // Anything else reported at a key (a visitor refusing the value) is about its value.
        Some(Some(((l, c), value_path))) => (l, c, value_path),
        _ => (line, column, node.path),
    };
    let message = if within.is_empty() {
        message
    } else {
        format!("{within}: {message}")
    };
    FileError::at(path, line, Some(column), message)
}

/// What the user is told: serde-saphyr's user-facing wording, except where that names the
/// library's own API or types.
fn describe(err: &Error) -> String {
    use serde_saphyr::MessageFormatter as _;
    match err {
        Error::MultipleDocuments { .. } => {
            "more than one YAML document (a second `---`): a file holds one document".to_string()
        }
        Error::DuplicateMappingKey { key: Some(key), .. } => format!("duplicate key `{key}`"),
        Error::DuplicateMappingKey { key: None, .. } => "duplicate key".to_string(),
        Error::AliasReplayLimitExceeded { .. }
        | Error::AliasExpansionLimitExceeded { .. }
        | Error::AliasReplayStackDepthExceeded { .. }
        | Error::AliasReplayCounterOverflow { .. } => format!(
            "aliases (`*name`) expand to more than {MAX_REPLAYED_EVENTS} values: refused, as an alias bomb would be"
        ),
        Error::SerdeUnknownField { field, expected, .. } => {
            format!("unknown field `{field}`, {}", one_of(expected))
        }
        Error::SerdeUnknownVariant { variant, expected, .. } => {
            format!("unknown variant `{variant}`, {}", one_of(expected))
        }
        Error::InvalidScalar { ty, .. } => match *ty {
            "boolean" => "expected true or false".to_string(),
            "floating point" => "expected a number".to_string(),
            _ => "expected a whole number".to_string(),
        },
        Error::InvalidBooleanStrict { .. } => "expected true or false".to_string(),
        Error::ExternalMessage { source, .. } if matches!(&**source, ExternalMessageSource::Parser(e) if *e.kind() == ErrorKind::RecursionLimitExceeded) => {
            "nested too deeply: more than 255 levels of `[` or `{`".to_string()
        }
        Error::Budget {
            breach: BudgetBreach::Depth { .. },
            ..
        } => format!("nested too deeply: more than {MAX_DEPTH} levels"),
        Error::Budget { .. } => {
            "the YAML has too many values, aliases or anchors to be a hand-written file".to_string()
        }
        Error::Unexpected { expected, .. } => format!(
            "expected {}",
            match *expected {
                "mapping start" => "a mapping (`key: value`)",
                "sequence start" => "a list",
                "string scalar" | "string" => "a string",
                "scalar" => "a single value",
                other => other,
            }
        ),
        _ => serde_saphyr::UserMessageFormatter.format_message(err).into_owned(),
    }
}

/// The names a key or value could have been, as serde words them.
fn one_of(names: &[&str]) -> String {
    match names {
        [] => "there are none".to_string(),
        [one] => format!("expected `{one}`"),
        [a, b] => format!("expected `{a}` or `{b}`"),
        _ => format!(
            "expected one of {}",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The node of a document that starts at a 1-based line and column.
#[derive(Debug, PartialEq, Eq)]
struct Node {
    /// Where it is: `scopes[0].required`, or empty for the whole document.
    path: String,
    /// The path of the collection it is in.
    parent: String,
    /// For a mapping's key: where its value starts, and the value's path, once seen.
    key: Option<Option<((usize, usize), String)>>,
    /// The 1-based line and column of the mapping it is in, if any.
    mapping_start: Option<(usize, usize)>,
}

enum Frame {
    Seq {
        path: String,
        next: usize,
    },
    Map {
        path: String,
        start: (usize, usize),
        key: Option<String>,
    },
}

impl Frame {
    fn path(&self) -> &str {
        match self {
            Frame::Seq { path, .. } | Frame::Map { path, .. } => path,
        }
    }
}

/// Walks the parse events up to the node at `(line, column)`, keeping the path to it; of nodes
/// starting at the same place (a block mapping and its first key), the innermost; for a key,
/// also where its value is. Only run for an error message; stops at a parse error.
fn find_node(text: &str, line: usize, column: usize) -> Option<Node> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut found: Option<Node> = None;
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else {
            return found;
        };
        let at = (span.start.line(), span.start.col() + 1);
        match event {
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop();
                continue;
            }
            Event::Scalar(..) | Event::Alias(_) | Event::SequenceStart(..) | Event::MappingStart(..) => {}
            _ => continue,
        }
        // This node's path, and whether it is a mapping's key (`key` is None while a mapping
        // expects a key).
        let parent = stack.last().map(|f| f.path().to_string()).unwrap_or_default();
        let mapping_start = match stack.last() {
            Some(Frame::Map { start, .. }) => Some(*start),
            _ => None,
        };
        let (path, is_key) = match stack.last_mut() {
            None => (String::new(), false),
            Some(Frame::Seq { path, next }) => {
                *next += 1;
                (format!("{path}[{}]", *next - 1), false)
            }
            Some(Frame::Map { path, key, .. }) => match key.take() {
                None => {
                    *key = Some(match &event {
                        Event::Scalar(value, ..) => value.to_string(),
                        _ => "?".to_string(),
                    });
                    (path.clone(), true)
                }
                Some(k) if path.is_empty() => (k, false),
                Some(k) => (format!("{path}.{k}"), false),
            },
        };
        match &mut found {
            Some(node) if at != (line, column) => {
                // The node after a key is its value.
                if let Some(value @ None) = &mut node.key {
                    if !is_key {
                        *value = Some((at, path));
                    }
                }
                return found;
            }
            _ => {}
        }
        if at == (line, column) {
            found = Some(Node {
                path: path.clone(),
                parent,
                key: is_key.then_some(None),
                mapping_start,
            });
        }
        match event {
            Event::SequenceStart(..) => stack.push(Frame::Seq { path, next: 0 }),
            Event::MappingStart(..) => stack.push(Frame::Map {
                path,
                start: at,
                key: None,
            }),
            _ => {}
        }
    }
    found
}

/// Where the second document of a stream starts.
fn second_document(text: &str) -> Option<(usize, usize)> {
    Parser::new_from_str(text)
        .map_while(Result::ok)
        .filter(|(event, _)| matches!(event, Event::DocumentStart(..)))
        .nth(1)
        .map(|(_, span)| (span.start.line(), span.start.col() + 1))
}

/// Whether the top-level mapping of some document of `text` has `key`: `Some(true)` or
/// `Some(false)`, or `None` when the text is not valid YAML and the key was not seen before the
/// error. Reads parse events only: no values are built and aliases are not expanded.
pub fn has_top_level_key(text: &str, key: &str) -> Option<bool> {
    // Per open collection: whether it is a mapping expecting a key next.
    let mut stack: Vec<Option<bool>> = Vec::new();
    for item in Parser::new_from_str(text) {
        let Ok((event, _)) = item else {
            return None;
        };
        match event {
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop();
                continue;
            }
            Event::Scalar(..) | Event::Alias(_) | Event::SequenceStart(..) | Event::MappingStart(..) => {}
            _ => continue,
        }
        let is_key = match stack.last_mut() {
            Some(Some(expect_key)) => {
                let was = *expect_key;
                *expect_key = !was;
                was
            }
            _ => false,
        };
        if is_key && stack.len() == 1 {
            if let Event::Scalar(value, ..) = &event {
                if value == key {
                    return Some(true);
                }
            }
        }
        match event {
            Event::SequenceStart(..) => stack.push(None),
            Event::MappingStart(..) => stack.push(Some(true)),
            _ => {}
        }
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        name: String,
        #[serde(default)]
        items: Vec<Keyed<Item>>,
        #[serde(default)]
        settings: Option<Keyed<std::collections::BTreeMap<String, serde_json::Value>>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Item {
        id: String,
        #[serde(default)]
        count: u32,
    }

    fn parse(text: &str) -> Result<Keyed<Doc>, String> {
        from_str("d.yaml", text).map_err(|e| e.to_string())
    }

    #[test]
    fn key_lines_in_block_flow_and_indented_styles() {
        let block =
            parse("# c\nname: A\nitems:\n  - id: x\n  -\n    count: 2\n    id: y\nsettings:\n  a:\n    - 1\n  b: 2\n")
                .unwrap();
        assert_eq!(block.line("name"), Some(2));
        assert_eq!(block.value.name, "A");
        assert_eq!(block.line("items"), Some(3));
        let items = &block.value.items;
        assert_eq!((items[0].line("id"), items[1].line("id")), (Some(4), Some(7)));
        assert_eq!((items[1].value.id.as_str(), items[1].value.count), ("y", 2));
        let settings: Vec<_> = block.value.settings.as_ref().unwrap().key_lines().collect();
        assert_eq!(settings, [("a", 9), ("b", 11)]);

        let flow = parse("{name: A,\n items: [{id: x}, {count: 1, id: y}]}").unwrap();
        assert_eq!(flow.line("items"), Some(2));
        assert_eq!(flow.value.items[1].line("id"), Some(2));

        let indented = parse("---\n   name: A\n   items:\n     - id: x\n").unwrap();
        assert_eq!(indented.line("items"), Some(3));
        assert_eq!(indented.value.items[0].line("id"), Some(4));
    }

    #[test]
    fn errors_are_located_and_say_where() {
        assert_eq!(
            parse("name: A\nitems:\n  - id: x\n    count: many\n").unwrap_err(),
            "d.yaml:4:12: items[0].count: expected a whole number"
        );
        assert_eq!(
            parse("name: A\nitems:\n  - id: x\n    cnt: 1\n").unwrap_err(),
            "d.yaml:4:5: items[0]: unknown field `cnt`, expected `id` or `count`"
        );
        assert_eq!(
            parse("# c\nitems: []\n").unwrap_err(),
            "d.yaml:2:1: missing field `name`"
        );
        assert_eq!(
            parse("name: A\nitems:\n  - count: 1\n").unwrap_err(),
            "d.yaml:3:5: items[0]: missing field `id`"
        );
        assert_eq!(
            parse("name: A\nname: B\n").unwrap_err(),
            "d.yaml:2:1: duplicate key `name`"
        );
        assert_eq!(parse("name: [A]\n").unwrap_err(), "d.yaml:1:7: name: expected a string");
        assert_eq!(
            parse("name: A\n\"\\e[31m\": x\n").unwrap_err(),
            "d.yaml:2:1: unknown field `\\u{1b}[31m`, expected one of `name`, `items`, `settings`"
        );
        let nested: String = (1..100).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let deep = format!("name: A\nsettings:\n{nested}");
        let path = format!("settings{}", ".k".repeat(64));
        assert_eq!(
            parse(&deep).unwrap_err(),
            format!("d.yaml:67:66: {path}: nested too deeply: more than 64 levels")
        );
        assert_eq!(
            parse("- name: A\n").unwrap_err(),
            "d.yaml:1:1: expected a mapping (`key: value`)"
        );
    }

    #[test]
    fn top_level_keys_in_any_style() {
        for text in [
            "app: A\n",
            "# c\n---\n  app: A\n",
            "{platform: p, app: A}",
            "x: 1\n---\napp: A\n",
            "\"app\" : A\n",
        ] {
            assert_eq!(has_top_level_key(text, "app"), Some(true), "{text}");
        }
        for text in [
            "apps: 1\n",
            "x:\n  app: A\n",
            "- app: A\n",
            "x: [app]\n",
            "a: b\nc: app\n",
        ] {
            assert_eq!(has_top_level_key(text, "app"), Some(false), "{text}");
        }
        assert_eq!(has_top_level_key("app: \"A\n", "app"), Some(true));
        assert_eq!(has_top_level_key("x: \"A\napp: B\n", "app"), None);
    }
}
