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
    /// an empty config; a missing explicit file is an error.
    pub fn load(
        root: &Path,
        explicit: Option<&Path>,
    ) -> Result<(Config, Option<ConfigFile>), Box<ConfigError>> {
        let (path, required) = match explicit {
            Some(path) => (path.to_path_buf(), true),
            None => (root.join(CONFIG_PATH), false),
        };
        let shown = match explicit {
            Some(path) => shown_path(root, path),
            None => CONFIG_PATH.to_string(),
        };
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8(bytes)
                .map_err(|_| error(&shown, "the file is not UTF-8 text", None))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok((Config::default(), None));
            }
            Err(e) => return Err(error(&shown, &format!("cannot be read: {e}"), None)),
        };
        let config = Config::parse(&shown, &text)?;
        Ok((config, Some(ConfigFile { path, shown, text })))
    }

    pub fn parse(shown: &str, text: &str) -> Result<Config, Box<ConfigError>> {
        if text.trim().is_empty() {
            return Ok(Config::default());
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
            Some(NamedSource::new(path, text.to_string())),
            Some(SourceSpan::from((
                index.min(text.len()),
                1usize.min(text.len() - index.min(text.len())),
            ))),
        ),
        None => (None, None, None, None),
    };
    let message = match (line, column) {
        (Some(line), Some(column)) => format!("{message} (line {line}, column {column})"),
        _ => message.to_string(),
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
