//! The judgement itself: which workflows are critical, and for each job of each, whether
//! its failure reaches a person. Reads a loaded [`Repository`], returns a [`Report`];
//! never prints and never touches the network or the disk.

mod budget;
pub mod condition;
mod critical;
mod judge;
pub mod model;
mod needs;
pub mod notifier;
mod references;
pub mod routes;
pub mod secrets;
mod suggest;
mod webhooks;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use budget::{Budget, WORK_BUDGET};
pub use critical::CriticalSelector;
pub use judge::Judgement;

use crate::findings::{Finding, Report, SecretReference};
use crate::repo::Repository;
use crate::rules::Catalogue;
use model::{StepModel, WorkflowModel};

/// Holds the models of every readable file, and collects findings as routes are searched.
pub struct Analyzer<'r> {
    pub repo: &'r Repository,
    pub catalogue: &'static Catalogue,
    pub workflows: Vec<WorkflowModel<'r>>,
    actions: HashMap<String, Option<Vec<StepModel>>>,
    findings: RefCell<Vec<Finding>>,
    seen: RefCell<BTreeSet<(String, String, String)>>,
    /// Secrets read by the routes that alert a critical job.
    route_secrets: RefCell<Vec<SecretReference>>,
    /// Remote files that left a critical job unverified.
    unread_remote: RefCell<BTreeSet<String>>,
    /// Imagined runs already worked out, by workflow, failed job and scenario: the same
    /// run is asked for once per job that might alert on it.
    runs: RefCell<HashMap<String, BTreeMap<String, routes::JobState>>>,
    /// The work left for judging the current workflow.
    budget: Budget,
}

/// Judges the repository: the single entry point of this module.
pub fn analyse(repo: &Repository, critical: &CriticalSelector) -> Report {
    let analyzer = Analyzer::new(repo, Catalogue::builtin());
    analyzer.judge_repository(critical)
}

impl<'r> Analyzer<'r> {
    pub fn new(repo: &'r Repository, catalogue: &'static Catalogue) -> Self {
        let mut workflows = Vec::new();
        let local = repo.workflows.iter().map(|file| (file, false));
        let remote = repo.remote_workflows.values().map(|file| (file, true));
        for (file, is_remote) in local.chain(remote) {
            if let Ok(parsed) = &file.parsed {
                let versions = file.source.version_comments();
                workflows.push(model::build_workflow(
                    &file.source.path,
                    parsed,
                    &versions,
                    catalogue,
                    is_remote,
                ));
            }
        }
        let mut actions = HashMap::new();
        let local = repo.actions.iter();
        let remote = repo.remote_actions.iter();
        for (key, file) in local.chain(remote) {
            let steps = file.parsed.as_ref().ok().and_then(|action| {
                let versions = file.source.version_comments();
                model::build_action_steps(&file.source.path, action, &versions, catalogue)
            });
            actions.insert(key.clone(), steps);
        }
        Self {
            repo,
            catalogue,
            workflows,
            actions,
            findings: RefCell::new(Vec::new()),
            seen: RefCell::new(BTreeSet::new()),
            route_secrets: RefCell::new(Vec::new()),
            unread_remote: RefCell::new(BTreeSet::new()),
            runs: RefCell::new(HashMap::new()),
            budget: Budget::new(WORK_BUDGET),
        }
    }

    /// Records a finding once, however many routes lead past the same place.
    pub fn report(&self, finding: Finding) {
        let key = (
            finding.rule.clone(),
            format!(
                "{}#{}",
                finding.location.path,
                finding.location.route_text()
            ),
            finding.message.clone(),
        );
        if self.seen.borrow_mut().insert(key) {
            self.findings.borrow_mut().push(finding);
        }
    }

    pub fn report_all(&self, findings: &[Finding]) {
        for finding in findings {
            self.report(finding.clone());
        }
    }

    pub fn take_findings(&self) -> Vec<Finding> {
        std::mem::take(&mut self.findings.borrow_mut())
    }

    fn action_steps(&self, key: &str) -> Option<&[StepModel]> {
        self.actions.get(key).and_then(|steps| steps.as_deref())
    }

    /// A local action that was read and parsed but is not a composite action.
    fn is_opaque_local_action(&self, key: &str) -> bool {
        matches!(self.actions.get(key), Some(None))
            && self.repo.actions.get(key).is_some_and(|a| a.parsed.is_ok())
    }

    fn remote_action_steps(&self, uses: &str) -> Option<&[StepModel]> {
        self.action_steps(uses.trim())
    }

    /// Whether a remote action's metadata was fetched, whatever kind of action it is.
    fn remote_action_was_read(&self, uses: &str) -> bool {
        self.actions.contains_key(uses.trim())
    }

    /// The workflow a job-level `uses:` calls, when it was loaded (local, or fetched).
    fn callee(&self, uses: &str) -> Option<&WorkflowModel<'r>> {
        let uses = uses.trim();
        let key = match uses.strip_prefix("./") {
            Some(path) => path.to_string(),
            None => uses.to_string(),
        };
        self.workflows.iter().find(|w| w.path == key)
    }
}
