//! One file of the repository as text: reading it safely, parsing it into a typed model
//! with errors that carry a line and column, and turning symbolic routes into spans.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;

use crate::findings::{Segment, Span};

/// Why a file could not be turned into a model, with where, when known (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub kind: LoadErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadErrorKind {
    Unreadable,
    TooLarge,
    Syntax,
    Invalid,
}

impl LoadError {
    pub(crate) fn new(kind: LoadErrorKind, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            line: None,
            column: None,
            kind,
        }
    }

    fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

/// A file's text and the index used to place routes in it.
pub struct SourceFile {
    /// Relative to the scanned root, with `/` separators.
    pub path: String,
    pub text: Result<String, LoadError>,
    document: OnceLock<Option<yamlpath::Document>>,
}

impl SourceFile {
    pub fn from_text(path: &str, text: Result<String, LoadError>) -> Self {
        Self {
            path: path.to_string(),
            text,
            document: OnceLock::new(),
        }
    }

    pub fn text(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    /// Parses the text into a model, first as plain YAML so that syntax errors and merge
    /// keys are reported as such, then into `T` for the structure.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, LoadError> {
        let text = self.text.as_ref().map_err(Clone::clone)?;
        if let Some(err) = flow_depth_error(text) {
            return Err(err);
        }
        let value: yaml_serde::Value = yaml_serde::from_str(text).map_err(yaml_error)?;
        if matches!(value, yaml_serde::Value::Null) {
            return Err(LoadError::new(LoadErrorKind::Invalid, "the file is empty").at(1, 1));
        }
        if let Some(err) = merge_key_error(&value, text) {
            return Err(err);
        }
        if !matches!(value, yaml_serde::Value::Mapping(_)) {
            return Err(
                LoadError::new(LoadErrorKind::Invalid, "the file is not a YAML mapping").at(1, 1),
            );
        }
        yaml_serde::from_str::<T>(text).map_err(|e| {
            let mut err = yaml_error(e);
            err.kind = LoadErrorKind::Invalid;
            err
        })
    }

    /// An error about the structure, placed at a top-level key.
    pub fn error_at_key(&self, key: &str, message: &str) -> LoadError {
        let error = LoadError::new(LoadErrorKind::Invalid, message);
        match self.span_of(&[Segment::Key(key.to_string())]) {
            Some(span) => error.at(span.line, span.column),
            None => error,
        }
    }

    /// The span of a route, or of its nearest ancestor that can be found. Job keys and
    /// mapping keys point at the key; list items point at the whole item.
    pub fn span_of(&self, route: &[Segment]) -> Option<Span> {
        let document = self.document()?;
        let mut route = route.to_vec();
        loop {
            if let Some(span) = query_span(document, &route) {
                return Some(span);
            }
            route.pop()?;
        }
    }

    fn document(&self) -> Option<&yamlpath::Document> {
        self.document
            .get_or_init(|| {
                let text = self.text.as_ref().ok()?;
                yamlpath::Document::new(text.clone()).ok()
            })
            .as_ref()
    }

    /// The byte offset of a 1-based line and column (counted in characters).
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let text = self.text();
        let mut offset = 0;
        for (index, content) in text.split_inclusive('\n').enumerate() {
            if index + 1 == line {
                let within: usize = content
                    .chars()
                    .take(column.saturating_sub(1))
                    .map(char::len_utf8)
                    .sum();
                return offset + within;
            }
            offset += content.len();
        }
        text.len()
    }

    /// The 1-based line and column of a byte offset in the text.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        line_column(self.text(), offset)
    }

    /// The `# vX.Y` comments written after pinned `uses:` references, by reference.
    /// Pinning to a SHA hides the version, and the comment is the usual place for it.
    pub fn version_comments(&self) -> HashMap<String, String> {
        static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
        let pattern = PATTERN.get_or_init(|| {
            regex::Regex::new(r##"uses:\s*['"]?([^\s'"#]+)['"]?\s*#\s*(?:tag=|ratchet:[^\s@]+@)?(v?\d+[\w.\-]*)"##)
                .expect("static regex")
        });
        pattern
            .captures_iter(self.text())
            .map(|c| (c[1].to_string(), c[2].to_string()))
            .collect()
    }
}

fn query_span(document: &yamlpath::Document, route: &[Segment]) -> Option<Span> {
    let components: Vec<yamlpath::Component> = route
        .iter()
        .map(|segment| match segment {
            Segment::Key(key) => yamlpath::Component::Key(key.clone().into()),
            Segment::Index(index) => yamlpath::Component::Index(*index),
        })
        .collect();
    let yaml_route = yamlpath::Route::from(components);
    let feature = match route.last() {
        Some(Segment::Key(_)) => document.query_key_only(&yaml_route).ok()?,
        _ => document.query_pretty(&yaml_route).ok()?,
    };
    let ((line, column), (end_line, end_column)) = feature.location.point_span;
    Some(Span {
        line: line + 1,
        column: column + 1,
        end_line: end_line + 1,
        end_column: end_column + 1,
        start_byte: feature.location.byte_span.0,
        end_byte: feature.location.byte_span.1,
    })
}

pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The text of a file's bytes, refusing more than `max_bytes` and bytes that are not UTF-8.
pub(crate) fn text_from_bytes(bytes: Vec<u8>, max_bytes: u64) -> Result<String, LoadError> {
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > max_bytes {
        return Err(too_large(size, max_bytes));
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let (line, column) =
            line_column(&String::from_utf8_lossy(&e.into_bytes()[..offset]), offset);
        LoadError::new(
            LoadErrorKind::Unreadable,
            "the file is not valid UTF-8 text",
        )
        .at(line, column)
    })
}

pub(crate) fn too_large(size: u64, max_bytes: u64) -> LoadError {
    let message =
        format!("the file is {size} bytes, over the limit of {max_bytes} bytes; it was not parsed");
    LoadError::new(LoadErrorKind::TooLarge, message)
}

pub(crate) fn describe_io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}

/// How deep `[` and `{` may nest. The YAML library refuses anything nested deeper than
/// 128 levels anyway, but only after scanning it, and its scanner takes time that grows
/// with the square of the nesting: a 2 MiB file of `[` would keep it busy for hours.
const MAX_FLOW_DEPTH: usize = 128;

/// Where brackets first open deeper than [`MAX_FLOW_DEPTH`], counted before parsing and
/// without regard to quoting. The count can only overestimate the real nesting, so no
/// file deeper than the limit gets past it; a real workflow never comes near it.
pub(crate) fn too_deep_at(text: &str) -> Option<usize> {
    let mut depth: usize = 0;
    for (offset, byte) in text.bytes().enumerate() {
        match byte {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => continue,
        }
        if depth > MAX_FLOW_DEPTH {
            return Some(offset);
        }
    }
    None
}

pub(crate) fn too_deep_message() -> String {
    format!(
        "`[` and `{{` open more than {MAX_FLOW_DEPTH} levels deep here; YAML nested this deep \
         is not parsed"
    )
}

fn flow_depth_error(text: &str) -> Option<LoadError> {
    let offset = too_deep_at(text)?;
    let (line, column) = line_column(text, offset);
    Some(LoadError::new(LoadErrorKind::Syntax, too_deep_message()).at(line, column))
}

fn yaml_error(error: yaml_serde::Error) -> LoadError {
    let mut message = error.to_string();
    // The location is reported separately; keep the message free of it.
    if let Some(cut) = message.find(" at line ") {
        message.truncate(cut);
    }
    // The library's own words for its two safety limits say little to a reader.
    if message == "repetition limit exceeded" {
        message =
            "the file's aliases expand to more nodes than alertlint reads (an \"alias bomb\"); \
                   it was not parsed"
                .to_string();
    } else if message == "recursion limit exceeded" {
        message = "the YAML nests more than 128 levels deep; it was not parsed".to_string();
    }
    let err = LoadError::new(LoadErrorKind::Syntax, message);
    match error.location() {
        Some(location) => err.at(location.line(), location.column()),
        None => err,
    }
}

/// GitHub accepts anchors and aliases but rejects merge keys (`<<:`), so a workflow that
/// uses one never runs. The YAML library ignores them silently; we look for them.
fn merge_key_error(value: &yaml_serde::Value, text: &str) -> Option<LoadError> {
    if !contains_merge_key(value, 0) {
        return None;
    }
    let offset = text.find("<<").unwrap_or(0);
    let (line, column) = line_column(text, offset);
    let message = "merge keys (`<<:`) are not supported by GitHub Actions, which rejects this workflow; \
                   repeat the keys, or use an alias for the whole value";
    Some(LoadError::new(LoadErrorKind::Invalid, message).at(line, column))
}

fn contains_merge_key(value: &yaml_serde::Value, depth: usize) -> bool {
    if depth > 256 {
        return false;
    }
    match value {
        yaml_serde::Value::Mapping(mapping) => mapping
            .iter()
            .any(|(key, child)| key.as_str() == Some("<<") || contains_merge_key(child, depth + 1)),
        yaml_serde::Value::Sequence(items) => items
            .iter()
            .any(|child| contains_merge_key(child, depth + 1)),
        yaml_serde::Value::Tagged(tagged) => contains_merge_key(&tagged.value, depth + 1),
        _ => false,
    }
}
