//! `.github/alertlint.yml`: loading it, rejecting what it should not contain with the
//! line and column, and its defaults. A missing file is the same as an empty one.

use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;

/// The config file's place, relative to the scanned root.
pub const CONFIG_PATH: &str = ".github/alertlint.yml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Workflow paths or globs that are critical. When set, only these are judged;
    /// otherwise every workflow with a `schedule` trigger is.
    #[serde(default)]
    pub critical: Vec<String>,
    /// Secrets that must exist for the alert routes to work, checked online.
    #[serde(default)]
    pub required_secrets: Vec<String>,
    /// Minutes a scheduled run may be late beyond the longest gap of its crons before the
    /// online check calls the schedule stale; 60 when unset.
    #[serde(default)]
    pub schedule_grace_minutes: Option<u64>,
    /// Accepted gaps, each with who accepted it, why, and until when.
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    pub rule: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub job: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub approved_by: Option<String>,
    #[serde(default)]
    pub expires: Option<String>,
}

/// A config that cannot be used, shown with the offending line.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{path}: {message}")]
#[diagnostic(
    code(alertlint::config),
    help("see the README's Configuration section for the keys it accepts")
)]
pub struct ConfigError {
    pub path: String,
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    #[source_code]
    pub source_code: Option<NamedSource<String>>,
    #[label("here")]
    pub span: Option<SourceSpan>,
}

/// The config file as read: where it is, how findings name it, and its text.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// Relative to the scanned root when it lies inside it, otherwise as given.
    pub shown: String,
    pub text: String,
}

impl Config {
    /// Loads the config from `root`, or `explicit` when given. A missing default file is
    /// an empty config; a missing explicit file is an error. The default file is read
    /// only when it stays inside `root`, and neither may be larger than `max_bytes`.
    pub fn load(
        root: &Path,
        explicit: Option<&Path>,
        max_bytes: u64,
    ) -> Result<(Config, Option<ConfigFile>), Box<ConfigError>> {
        let (path, text) = match explicit {
            Some(path) => (
                path.to_path_buf(),
                crate::repo::read_bounded(path, max_bytes),
            ),
            None => {
                let path = root.join(CONFIG_PATH);
                if std::fs::symlink_metadata(&path).is_err() {
                    return Ok((Config::default(), None));
                }
                let text = crate::repo::read_inside(root, CONFIG_PATH, max_bytes);
                (path, text)
            }
        };
        let shown = match explicit {
            Some(path) => shown_path(root, path),
            None => CONFIG_PATH.to_string(),
        };
        let text = text.map_err(|e| error(&shown, &e.message, None))?;
        let config = Config::parse(&shown, &text)?;
        Ok((config, Some(ConfigFile { path, shown, text })))
    }

    /// Parses a config file's bytes, which may be anything at all.
    pub fn from_bytes(shown: &str, bytes: &[u8]) -> Result<Config, Box<ConfigError>> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| error(shown, "the file is not valid UTF-8 text", None))?;
        Config::parse(shown, text)
    }

    pub fn parse(shown: &str, text: &str) -> Result<Config, Box<ConfigError>> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        if let Some(index) = crate::repo::too_deep_at(text) {
            let (line, column) = crate::repo::line_column(text, index);
            let message = crate::repo::too_deep_message();
            return Err(error(shown, &message, Some(((line, column, index), text))));
        }
        match yaml_serde::from_str::<Option<Config>>(text) {
            Ok(config) => Ok(config.unwrap_or_default()),
            Err(e) => {
                let location = e.location().map(|l| (l.line(), l.column(), l.index()));
                let mut message = e.to_string();
                if let Some(cut) = message.find(" at line ") {
                    message.truncate(cut);
                }
                // Name the shapes in the config's own terms, not the program's.
                let message = message
                    .replace("struct Config", "a mapping of settings")
                    .replace("struct Exception", "a mapping with `rule`, `reason`, ...")
                    .replace("a sequence", "a list");
                Err(error(shown, &message, location.map(|l| (l, text))))
            }
        }
    }
}

/// An explicit config inside the scanned root is named relative to it, as every other
/// file in the report is; one outside is named as the user wrote it.
fn shown_path(root: &Path, path: &Path) -> String {
    let inside = root
        .canonicalize()
        .ok()
        .zip(path.canonicalize().ok())
        .and_then(|(root, path)| path.strip_prefix(root).ok().map(Path::to_path_buf));
    match inside {
        Some(relative) => relative.to_string_lossy().replace('\\', "/"),
        None => path.display().to_string(),
    }
}

fn error(path: &str, message: &str, at: Option<((usize, usize, usize), &str)>) -> Box<ConfigError> {
    let (line, column, source_code, span) = match at {
        Some(((line, column, index), text)) => (
            Some(line),
            Some(column),
            Some(NamedSource::new(
                path,
                crate::redact::mask(text).into_owned(),
            )),
            Some(SourceSpan::from((
                index.min(text.len()),
                1usize.min(text.len() - index.min(text.len())),
            ))),
        ),
        None => (None, None, None, None),
    };
    // The parser quotes the values it rejects, and a config can hold a webhook URL.
    let message = crate::redact::redact(message);
    let message = match (line, column) {
        (Some(line), Some(column)) => format!("{message} (line {line}, column {column})"),
        _ => message.into_owned(),
    };
    Box::new(ConfigError {
        path: path.to_string(),
        message,
        line,
        column,
        source_code,
        span,
    })
}
