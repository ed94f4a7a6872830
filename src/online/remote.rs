//! Remote reusable workflows and actions on a route (`owner/repo/path@ref`), read through
//! the contents API at that ref and handed to the analysis, which judges them like local
//! files. A file that cannot be read leaves its job unverified, with the reason.

use std::collections::BTreeSet;

use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::client::ApiError;
use super::target::Slug;
use super::{Context, Outcome, REMOTE_FILES};
use crate::analysis::model::remote_parts;
use crate::findings::{CheckStatus, Report};
use crate::repo::{ActionFile, LoadError, Repository, SourceFile, WorkflowFile};

/// Remote files can call further remote files; this many rounds of reading are enough
/// for any real chain and stop a hostile one.
const MAX_ROUNDS: usize = 8;

/// What may stay unescaped in a path segment or a ref.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// A file from the contents API, as GitHub documents it.
#[derive(Debug, Deserialize)]
struct Content {
    #[serde(rename = "type")]
    kind: String,
    encoding: Option<String>,
    content: Option<String>,
}

pub struct Fetched {
    /// The analysis, made again with every remote file that could be read.
    pub report: Report,
    pub outcome: Outcome,
}

/// Reads the remote files the report waits on, judges again, and repeats for the
/// remote files those files call, until nothing new is waited on.
pub async fn resolve(
    context: &Context<'_>,
    repo: &mut Repository,
    analyse: &dyn Fn(&Repository) -> Report,
    mut report: Report,
    max_bytes: u64,
) -> Fetched {
    let mut attempted: BTreeSet<String> = BTreeSet::new();
    let mut failures: Vec<String> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let wanted: Vec<String> = report
            .unread_remote
            .iter()
            .filter(|uses| !attempted.contains(*uses))
            .cloned()
            .collect();
        if wanted.is_empty() {
            break;
        }
        for uses in wanted {
            attempted.insert(uses.clone());
            if let Err(reason) = read_into(context, repo, &uses, max_bytes).await {
                failures.push(reason);
            }
        }
        report = analyse(repo);
    }
    let still_unread: Vec<&String> = report
        .unread_remote
        .iter()
        .filter(|uses| !attempted.contains(*uses))
        .collect();
    if let Some(uses) = still_unread.first() {
        failures.push(format!(
            "`{uses}` is more than {MAX_ROUNDS} calls deep and was not read"
        ));
    }
    let outcome = match failures.is_empty() {
        true => Outcome::new(
            REMOTE_FILES,
            CheckStatus::Pass,
            format!("read {} remote file(s) on the routes", attempted.len()),
        ),
        false => Outcome::new(REMOTE_FILES, CheckStatus::Unverified, failures.join("; ")),
    };
    Fetched { report, outcome }
}

/// Fetches one remote reference and adds it to the repository, workflow or action.
async fn read_into(
    context: &Context<'_>,
    repo: &mut Repository,
    uses: &str,
    max_bytes: u64,
) -> Result<(), String> {
    let reference = RemoteReference::parse(uses)
        .ok_or_else(|| format!("`{uses}` is not of the form owner/repo/path@ref"))?;
    if reference.is_workflow() {
        let source = reference.read(context, &reference.path, max_bytes).await?;
        let file = WorkflowFile::from_source(source);
        let parsed = file.parsed.as_ref().err().map(|e| unreadable(uses, e));
        repo.remote_workflows.insert(uses.to_string(), file);
        return parsed.map_or(Ok(()), Err);
    }
    let mut last = String::new();
    for name in ["action.yml", "action.yaml"] {
        let path = match reference.path.is_empty() {
            true => name.to_string(),
            false => format!("{}/{name}", reference.path),
        };
        match reference.read(context, &path, max_bytes).await {
            Ok(source) => {
                let file = ActionFile::from_source(source);
                let parsed = file.parsed.as_ref().err().map(|e| unreadable(uses, e));
                repo.remote_actions.insert(uses.to_string(), file);
                return parsed.map_or(Ok(()), Err);
            }
            Err(reason) => last = reason,
        }
    }
    Err(last)
}

fn unreadable(uses: &str, error: &LoadError) -> String {
    format!("`{uses}` was read but cannot be judged: {}", error.message)
}

/// `owner/repo/path@ref`, taken apart.
struct RemoteReference {
    repository: Slug,
    path: String,
    git_ref: String,
}

impl RemoteReference {
    fn parse(uses: &str) -> Option<Self> {
        let (action, git_ref) = remote_parts(uses)?;
        let mut parts = action.splitn(3, '/');
        let repository = Slug::parse(&format!("{}/{}", parts.next()?, parts.next()?))?;
        let path = parts.next().unwrap_or("").trim_matches('/').to_string();
        let safe = path
            .split('/')
            .all(|s| !s.is_empty() && s != ".." && s != ".");
        (path.is_empty() || safe).then_some(Self {
            repository,
            path,
            git_ref,
        })
    }

    fn is_workflow(&self) -> bool {
        self.path.starts_with(".github/workflows/")
            && (self.path.ends_with(".yml") || self.path.ends_with(".yaml"))
    }

    /// The file at `path` in this repository at this ref, named `owner/repo/path@ref`.
    async fn read(
        &self,
        context: &Context<'_>,
        path: &str,
        max_bytes: u64,
    ) -> Result<SourceFile, String> {
        let shown = format!("{}/{path}@{}", self.repository.text(), self.git_ref);
        let encoded: Vec<String> = path
            .split('/')
            .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
            .collect();
        let request = format!(
            "/repos/{}/{}/contents/{}?ref={}",
            self.repository.owner,
            self.repository.name,
            encoded.join("/"),
            utf8_percent_encode(&self.git_ref, SEGMENT)
        );
        let content: Content = context
            .client
            .get(&request)
            .await
            .map_err(|e| self.explain(context, &e, &shown))?;
        let text = decode(&content, max_bytes).map_err(|reason| format!("`{shown}`: {reason}"))?;
        Ok(SourceFile::from_text(&shown, Ok(text)))
    }

    fn explain(&self, context: &Context<'_>, error: &ApiError, shown: &str) -> String {
        match error.status() {
            Some(404) => format!(
                "`{shown}` was not found: the repository, the file or the ref does not exist, \
                 or the token cannot read {}",
                self.repository.text()
            ),
            _ => context.explain(error, &format!("read `{shown}`")),
        }
    }
}

/// The text of a file answer: base64 with line breaks, as the contents API sends it.
fn decode(content: &Content, max_bytes: u64) -> Result<String, String> {
    if content.kind != "file" {
        return Err(format!("is a {}, not a file", content.kind));
    }
    if content.encoding.as_deref() != Some("base64") {
        return Err("is too large for the contents API to return".to_string());
    }
    let packed: String = content
        .content
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(packed)
        .map_err(|e| format!("its content is not valid base64: {e}"))?;
    if bytes.len() as u64 > max_bytes {
        return Err(format!(
            "is {} bytes, over the limit of {max_bytes}",
            bytes.len()
        ));
    }
    String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_repository_path_and_ref() {
        let workflow =
            RemoteReference::parse("acme/platform/.github/workflows/notify.yml@v3").unwrap();
        assert_eq!(workflow.repository.text(), "acme/platform");
        assert_eq!(workflow.path, ".github/workflows/notify.yml");
        assert_eq!(workflow.git_ref, "v3");
        assert!(workflow.is_workflow());
        let action = RemoteReference::parse("acme/notify-action@v1").unwrap();
        assert_eq!(action.path, "");
        assert!(!action.is_workflow());
        assert!(RemoteReference::parse("acme/x/../../etc@v1").is_none());
    }

    #[test]
    fn content_with_line_breaks_decodes() {
        let content = Content {
            kind: "file".to_string(),
            encoding: Some("base64".to_string()),
            content: Some("bmFtZTog\nTm90aWZ5\n".to_string()),
        };
        assert_eq!(decode(&content, 1000).unwrap(), "name: Notify");
        assert!(decode(&content, 4).is_err());
    }
}
