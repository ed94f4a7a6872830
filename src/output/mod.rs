//! Rendering a [`Report`](crate::findings::Report): one file per format. Nothing here
//! decides anything; it only shows what the analysis found.

pub mod human;
pub mod json;

use std::str::FromStr;

/// The formats `check` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "unknown format `{other}`; expected one of: human, json"
            )),
        }
    }
}

/// One `--format FORMAT[=PATH]` request: where a format goes (`None` or `-`: stdout).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatRequest {
    pub format: Format,
    pub path: Option<String>,
}

impl FromStr for FormatRequest {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (format, path) = match text.split_once('=') {
            Some((format, path)) if !path.is_empty() => (format, Some(path.to_string())),
            Some((_, _)) => return Err(format!("`{text}`: the path after `=` is empty")),
            None => (text, None),
        };
        let path = path.filter(|p| p != "-");
        Ok(FormatRequest {
            format: format.parse()?,
            path,
        })
    }
}
