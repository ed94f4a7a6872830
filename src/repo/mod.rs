//! Reading a repository: the workflow files under `.github/workflows`, the local
//! composite actions and reusable workflows they reach, and where things are in them.
//! Everything the analysis needs is loaded here, so that `analysis/` never touches disk.

mod source;

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use github_actions_models::action::Action;
use github_actions_models::workflow::Workflow;

pub use source::{LoadError, LoadErrorKind, SourceFile};

use crate::findings::Location;

/// Default size above which a file is not parsed.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// A workflow file and what parsing it gave.
pub struct WorkflowFile {
    pub source: SourceFile,
    pub parsed: Result<Workflow, LoadError>,
}

/// A composite (or other) action's metadata file.
pub struct ActionFile {
    pub source: SourceFile,
    pub parsed: Result<Action, LoadError>,
}

/// A local `uses: ./x` reference that was refused or could not be read.
#[derive(Debug, Clone)]
pub struct RefusedReference {
    pub reference: String,
    pub reason: String,
}

/// A loaded repository: every file the analysis may look at, keyed by the path
/// relative to the root (`.github/workflows/x.yml`, `.github/actions/notify`).
#[derive(Default)]
pub struct Repository {
    pub root: PathBuf,
    pub workflows: Vec<WorkflowFile>,
    /// Local actions by their directory, relative to the root, without `./`.
    pub actions: BTreeMap<String, ActionFile>,
    /// Remote workflows and actions by `owner/repo/path@ref`, filled by online checks.
    pub remote_workflows: BTreeMap<String, WorkflowFile>,
    pub remote_actions: BTreeMap<String, ActionFile>,
    pub refused: BTreeMap<String, RefusedReference>,
    /// The config file, when there is one, so that findings about it can be shown in place.
    pub config: Option<SourceFile>,
}

/// Problems that stop a scan before any file is judged.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{path}: no such directory; pass the root of a repository")]
    NotFound { path: String },
    #[error("{path}: cannot be read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error(
        "{path} has no .github/workflows directory, so there is nothing to judge; pass the root of \
         the repository (the folder that contains .github){hint}"
    )]
    NoWorkflows { path: String, hint: String },
}

impl Repository {
    /// Loads every workflow under `root/.github/workflows`, then every local action and
    /// reusable workflow they reach. Bad files are kept with their error, never skipped.
    pub fn load(root: &Path, max_bytes: u64) -> Result<Self, ScanError> {
        let shown = root.display().to_string();
        let meta = std::fs::metadata(root).map_err(|_| ScanError::NotFound {
            path: shown.clone(),
        })?;
        if !meta.is_dir() {
            return Err(ScanError::NotFound { path: shown });
        }
        let canonical = root.canonicalize().map_err(|e| ScanError::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        })?;

        if !canonical.join(".github").join("workflows").is_dir()
            && is_inside_github_folder(&canonical)
        {
            // Almost always `.github` or `.github/workflows` given for the root; judging
            // it would pass with nothing judged.
            return Err(ScanError::NoWorkflows {
                path: shown,
                hint: root_hint(&canonical),
            });
        }
        let mut repo = Repository {
            root: canonical,
            ..Repository::default()
        };
        for path in repo.workflow_paths() {
            let source = SourceFile::read(&repo.root, &path, max_bytes);
            repo.workflows.push(WorkflowFile::from_source(source));
        }
        repo.load_local_actions(max_bytes);
        Ok(repo)
    }

    /// The `.yml` and `.yaml` files directly in `.github/workflows`, sorted; GitHub
    /// ignores subdirectories there, and so do we.
    fn workflow_paths(&self) -> Vec<String> {
        let dir = self.root.join(".github").join("workflows");
        let mut paths: Vec<String> = walkdir::WalkDir::new(&dir)
            .min_depth(1)
            .max_depth(1)
            .follow_links(false)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|entry| !entry.file_type().is_dir())
            .filter_map(|entry| entry.file_name().to_str().map(str::to_string))
            .filter(|name| name.ends_with(".yml") || name.ends_with(".yaml"))
            .map(|name| format!(".github/workflows/{name}"))
            .collect();
        paths.sort();
        paths
    }

    /// Follows `uses: ./path` action references until no new one appears.
    fn load_local_actions(&mut self, max_bytes: u64) {
        let mut pending: Vec<String> = self
            .workflows
            .iter()
            .filter_map(|w| w.parsed.as_ref().ok())
            .flat_map(local_action_refs_in_workflow)
            .collect();
        while let Some(reference) = pending.pop() {
            if self.actions.contains_key(&reference) || self.refused.contains_key(&reference) {
                continue;
            }
            match self.read_local_action(&reference, max_bytes) {
                Ok(action) => {
                    if let Ok(parsed) = &action.parsed {
                        pending.extend(local_action_refs_in_action(parsed));
                    }
                    self.actions.insert(reference, action);
                }
                Err(reason) => {
                    let refused = RefusedReference {
                        reference: reference.clone(),
                        reason,
                    };
                    self.refused.insert(reference, refused);
                }
            }
        }
    }

    fn read_local_action(&self, reference: &str, max_bytes: u64) -> Result<ActionFile, String> {
        let dir = self.contained_path(reference)?;
        for name in ["action.yml", "action.yaml"] {
            let file = dir.join(name);
            if file.is_file() {
                let rel = format!("{}/{name}", reference.trim_end_matches('/'));
                self.contained_path(&rel)?;
                let source = SourceFile::read(&self.root, &rel, max_bytes);
                return Ok(ActionFile::from_source(source));
            }
        }
        Err(format!("no action.yml or action.yaml in ./{reference}"))
    }

    /// Resolves a path relative to the root, refusing anything that leaves it: `..`
    /// past the root, absolute paths, and symlinks that point outside.
    pub fn contained_path(&self, relative: &str) -> Result<PathBuf, String> {
        let relative = Path::new(relative);
        let mut depth: i64 = 0;
        for component in relative.components() {
            match component {
                Component::Normal(_) => depth += 1,
                Component::CurDir => {}
                Component::ParentDir => depth -= 1,
                Component::RootDir | Component::Prefix(_) => {
                    return Err("absolute paths are refused".to_string());
                }
            }
            if depth < 0 {
                return Err("the path leaves the scanned repository".to_string());
            }
        }
        let joined = self.root.join(relative);
        match joined.canonicalize() {
            Ok(real) if real.starts_with(&self.root) => Ok(real),
            Ok(_) => {
                Err("the path leads outside the scanned repository through a symlink".to_string())
            }
            Err(e) => Err(format!("cannot be read: {}", source::describe_io(&e))),
        }
    }

    /// Gives a location its line and column, when its file is loaded and it has none yet.
    pub fn place(&self, location: &mut Location) {
        if location.span.is_none()
            && let Some(source) = self.source(&location.path)
        {
            location.span = source.span_of(&location.route);
        }
    }

    pub fn workflow(&self, path: &str) -> Option<&WorkflowFile> {
        self.workflows.iter().find(|w| w.source.path == path)
    }

    /// Any loaded file by its relative path, for rendering snippets and lines.
    pub fn source(&self, path: &str) -> Option<&SourceFile> {
        self.workflows
            .iter()
            .map(|w| &w.source)
            .chain(self.actions.values().map(|a| &a.source))
            .chain(self.remote_workflows.values().map(|w| &w.source))
            .chain(self.remote_actions.values().map(|a| &a.source))
            .chain(self.config.as_ref())
            .find(|s| s.path == path)
    }
}

fn is_inside_github_folder(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == ".github")
}

/// When the path given is inside `.github`, names the root the user probably meant.
fn root_hint(path: &Path) -> String {
    path.ancestors()
        .skip(1)
        .find(|dir| dir.join(".github").join("workflows").is_dir())
        .map(|root| format!("; did you mean {}?", root.display()))
        .unwrap_or_default()
}

impl WorkflowFile {
    pub fn from_source(source: SourceFile) -> Self {
        let parsed =
            source
                .parse::<Workflow>()
                .and_then(|workflow| match workflow.jobs.is_empty() {
                    true => Err(source
                        .error_at_key("jobs", "the workflow has no jobs, so GitHub rejects it")),
                    false => Ok(workflow),
                });
        Self { source, parsed }
    }
}

impl ActionFile {
    pub fn from_source(source: SourceFile) -> Self {
        let parsed = source.parse::<Action>();
        Self { source, parsed }
    }
}

/// Normalises a `uses: ./path` reference into a key: no `./`, no trailing `/`.
pub fn local_key(uses: &str) -> String {
    uses.trim()
        .trim_start_matches("./")
        .trim_end_matches('/')
        .to_string()
}

fn local_action_refs_in_workflow(workflow: &Workflow) -> Vec<String> {
    use github_actions_models::common::Uses;
    use github_actions_models::workflow::Job;
    use github_actions_models::workflow::job::Step;
    let mut refs = Vec::new();
    for job in workflow.jobs.values() {
        let Job::NormalJob(job) = job else { continue };
        for step in &job.steps {
            if let Step::Uses(step) = step
                && let Uses::Local(local) = &step.uses
            {
                refs.push(local_key(&local.path));
            }
        }
    }
    refs
}

fn local_action_refs_in_action(action: &Action) -> Vec<String> {
    use github_actions_models::action::{Runs, StepBody};
    use github_actions_models::common::Uses;
    let Runs::Composite(composite) = &action.runs else {
        return Vec::new();
    };
    composite
        .steps
        .iter()
        .filter_map(|step| match &step.body {
            StepBody::Uses {
                uses: Uses::Local(local),
                ..
            } => Some(local_key(&local.path)),
            _ => None,
        })
        .collect()
}
