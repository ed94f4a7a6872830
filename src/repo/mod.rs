//! Reading a repository: the workflow files under `.github/workflows`, the local
//! composite actions and reusable workflows they reach, and where things are in them.
//! Everything the analysis needs is loaded here, so that `analysis/` never touches disk.

mod source;
mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use github_actions_models::action::Action;
use github_actions_models::workflow::Workflow;

pub use source::{LoadError, LoadErrorKind, SourceFile};
pub(crate) use source::{line_column, too_deep_at, too_deep_message};
pub use tree::{contained_path, read_bounded};

use tree::{DiskTree, FileTree, MemoryTree};

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
    /// Whether it leads outside the repository, rather than naming nothing readable in it.
    pub leaves_root: bool,
}

/// A loaded repository: every file the analysis may look at, keyed by the path
/// relative to the root (`.github/workflows/x.yml`, `.github/actions/notify`).
#[derive(Default)]
pub struct Repository {
    /// The canonical root on disk; empty for a repository held in memory.
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
    /// A folder that leads outside the root or loops, with the reason in full.
    #[error("{path}: {reason}")]
    Refused { path: String, reason: String },
}

impl Repository {
    /// Loads every workflow under `root/.github/workflows`, then every local action and
    /// reusable workflow they reach. Bad files are kept with their error, never skipped;
    /// nothing outside `root` is read, whatever the symlinks in it say.
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
        let tree = DiskTree { root: &canonical };
        check_workflow_folder(&tree, &canonical, &shown)?;
        Ok(Self::from_tree(&tree, canonical.clone(), max_bytes))
    }

    /// A repository made of files held in memory, keyed by their path relative to the
    /// root (`.github/workflows/x.yml`, `.github/actions/notify/action.yml`). It is
    /// loaded by the same rules as one on disk and never touches the disk, so tests and
    /// fuzzing can judge arbitrary bytes.
    pub fn from_memory(files: BTreeMap<String, Vec<u8>>, max_bytes: u64) -> Self {
        Self::from_tree(&MemoryTree::new(files), PathBuf::new(), max_bytes)
    }

    fn from_tree(tree: &dyn FileTree, root: PathBuf, max_bytes: u64) -> Self {
        let mut repo = Repository {
            root,
            ..Repository::default()
        };
        for path in tree.workflow_paths() {
            let source = SourceFile::from_text(&path, tree.read(&path, max_bytes));
            repo.workflows.push(WorkflowFile::from_source(source));
        }
        repo.refuse_escaping_calls();
        repo.load_local_actions(tree, max_bytes);
        repo
    }

    /// Job-level `uses: ./path` calls are only ever matched against loaded workflows, so
    /// nothing is read for them; one that leaves the repository is still refused, so that
    /// it is reported where it is written.
    fn refuse_escaping_calls(&mut self) {
        let calls: Vec<String> = self
            .workflows
            .iter()
            .filter_map(|w| w.parsed.as_ref().ok())
            .flat_map(local_calls_in_workflow)
            .collect();
        for reference in calls {
            if let Err(reason) = tree::normalise(&reference) {
                let refused = RefusedReference {
                    reference: reference.clone(),
                    reason,
                    leaves_root: true,
                };
                self.refused.insert(reference, refused);
            }
        }
    }

    /// Follows `uses: ./path` action references until no new one appears.
    fn load_local_actions(&mut self, tree: &dyn FileTree, max_bytes: u64) {
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
            match read_local_action(tree, &reference, max_bytes) {
                Ok(action) => {
                    if let Ok(parsed) = &action.parsed {
                        pending.extend(local_action_refs_in_action(parsed));
                    }
                    self.actions.insert(reference, action);
                }
                Err(reason) => {
                    let refused = RefusedReference {
                        leaves_root: tree.leaves_root(&reference),
                        reference: reference.clone(),
                        reason,
                    };
                    self.refused.insert(reference, refused);
                }
            }
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

/// Reads one file under `root` (which need not be canonical), by the same rules as the
/// workflows: nothing that resolves outside `root`, nothing over `max_bytes`, only UTF-8.
pub fn read_inside(root: &Path, relative: &str, max_bytes: u64) -> Result<String, LoadError> {
    let root = root.canonicalize().map_err(|e| {
        LoadError::new(
            LoadErrorKind::Unreadable,
            format!("cannot be read: {}", source::describe_io(&e)),
        )
    })?;
    DiskTree { root: &root }.read(relative, max_bytes)
}

/// A `.github/workflows` that is a symlink out of the repository, or a loop, would make
/// every workflow vanish and the control pass with nothing judged; it stops the scan.
fn check_workflow_folder(tree: &DiskTree<'_>, root: &Path, shown: &str) -> Result<(), ScanError> {
    let folder = ".github/workflows";
    if std::fs::symlink_metadata(root.join(folder)).is_err() {
        return Ok(());
    }
    tree.resolve(folder).map_err(|reason| ScanError::Refused {
        path: format!("{shown}/{folder}"),
        reason,
    })
}

fn read_local_action(
    tree: &dyn FileTree,
    reference: &str,
    max_bytes: u64,
) -> Result<ActionFile, String> {
    tree.resolve(reference)?;
    for name in ["action.yml", "action.yaml"] {
        let rel = format!("{}/{name}", reference.trim_end_matches('/'));
        if tree.is_file(&rel) {
            let source = SourceFile::from_text(&rel, tree.read(&rel, max_bytes));
            return Ok(ActionFile::from_source(source));
        }
    }
    Err(format!(
        "cannot be read: there is no action.yml or action.yaml in ./{reference}"
    ))
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

/// The `uses: ./path` of job-level calls to reusable workflows, as written.
fn local_calls_in_workflow(workflow: &Workflow) -> Vec<String> {
    use github_actions_models::common::Uses;
    use github_actions_models::workflow::Job;
    workflow
        .jobs
        .values()
        .filter_map(|job| match job {
            Job::ReusableWorkflowCallJob(call) => match &call.uses {
                Uses::Local(local) => Some(local_key(&local.path)),
                _ => None,
            },
            _ => None,
        })
        .collect()
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
