//! The values every stage shares: findings, their severities and locations, and the
//! verdicts for jobs, workflows and the control. Nothing here reads files or prints.

use std::collections::BTreeSet;

use serde::Serialize;

/// How much a finding weighs for the control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "error" => Some(Self::Error),
            "warning" => Some(Self::Warning),
            "note" => Some(Self::Note),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Note => "note",
        }
    }
}

/// One step of a symbolic route into a YAML document, such as `jobs`, `sync`, `steps`, `3`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A place in a repository file: the file, a symbolic route into it, and (once resolved)
/// 1-based line and column spans. Routes are resolved late, and only for files that need it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// Path relative to the scanned root, with `/` separators.
    pub path: String,
    pub route: Vec<Segment>,
    pub span: Option<Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Byte offsets into the file, for source snippets.
    #[serde(skip)]
    pub start_byte: usize,
    #[serde(skip)]
    pub end_byte: usize,
}

impl Location {
    pub fn file(path: &str) -> Self {
        Self {
            path: path.to_string(),
            ..Self::default()
        }
    }

    pub fn at(path: &str, route: Vec<Segment>) -> Self {
        Self {
            path: path.to_string(),
            route,
            span: None,
        }
    }

    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Route in the dotted form users read, e.g. `jobs.sync.steps[3]`.
    pub fn route_text(&self) -> String {
        let mut text = String::new();
        for segment in &self.route {
            match segment {
                Segment::Key(key) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(key);
                }
                Segment::Index(index) => text.push_str(&format!("[{index}]")),
            }
        }
        text
    }
}

/// Builds routes without noise: `route!["jobs", id, "steps", 2]`.
#[macro_export]
macro_rules! route {
    ($($part:expr),* $(,)?) => {
        vec![$($crate::findings::Segment::from($part)),*]
    };
}

impl From<&str> for Segment {
    fn from(key: &str) -> Self {
        Self::Key(key.to_string())
    }
}

impl From<&String> for Segment {
    fn from(key: &String) -> Self {
        Self::Key(key.clone())
    }
}

impl From<String> for Segment {
    fn from(key: String) -> Self {
        Self::Key(key)
    }
}

impl From<usize> for Segment {
    fn from(index: usize) -> Self {
        Self::Index(index)
    }
}

/// A single problem found in a repository, tied to a rule of the control.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    /// The job this finding is about, when it is about one.
    pub job: Option<String>,
    /// YAML to add or change, indented to fit the file.
    pub suggestion: Option<String>,
    /// Where the suggestion goes, in words: "add as the last step of job `sync`".
    pub fix_hint: Option<String>,
    /// Labels for secondary places, such as the alert step that comes too early.
    pub related: Vec<(Location, String)>,
    /// The exception that accepts this finding, or one that did and has expired.
    pub waiver: Option<Waiver>,
}

impl Finding {
    pub fn new(
        rule: &str,
        severity: Severity,
        message: impl Into<String>,
        location: Location,
    ) -> Self {
        Self {
            rule: rule.to_string(),
            severity,
            message: message.into(),
            location,
            job: None,
            suggestion: None,
            fix_hint: None,
            related: Vec::new(),
            waiver: None,
        }
    }

    /// Whether a live exception accepts this finding, so that it no longer weighs on the
    /// control. It is still reported, marked as waived.
    pub fn is_waived(&self) -> bool {
        self.waiver.as_ref().is_some_and(|w| !w.expired)
    }

    /// Whether this finding weighs on the control as an error.
    pub fn is_open_error(&self) -> bool {
        self.severity == Severity::Error && !self.is_waived()
    }

    pub fn for_job(mut self, job: &str) -> Self {
        self.job = Some(job.to_string());
        self
    }

    pub fn with_suggestion(mut self, suggestion: Option<String>) -> Self {
        self.suggestion = suggestion;
        self
    }

    pub fn with_fix_hint(mut self, hint: impl Into<String>) -> Self {
        self.fix_hint = Some(hint.into());
        self
    }

    pub fn with_related(mut self, location: Location, label: impl Into<String>) -> Self {
        self.related.push((location, label.into()));
        self
    }
}

/// Where an exception is written: in the config's `exceptions:` list, or as an
/// `# alertlint: ignore[...]` comment beside the finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaiverSource {
    Config,
    Inline,
}

impl WaiverSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Inline => "inline",
        }
    }
}

/// An accepted gap, with what an auditor asks of it: who accepted it, why, until when,
/// and where that is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    pub source: WaiverSource,
    pub reason: String,
    pub approved_by: Option<String>,
    /// The last day the exception holds, as written (`YYYY-MM-DD`).
    pub expires: Option<String>,
    /// True once that day has passed: the finding counts again.
    pub expired: bool,
    /// The exception itself: its config entry or its comment.
    pub location: Location,
}

impl Waiver {
    /// One line for any output: `waived until 2027-03-01 by Jane (config ...:12): reason`.
    pub fn summary(&self) -> String {
        let mut text = match self.expired {
            true => "exception expired".to_string(),
            false => "waived".to_string(),
        };
        if let Some(expires) = &self.expires {
            let word = if self.expired { "on" } else { "until" };
            text.push_str(&format!(" {word} {expires}"));
        }
        if let Some(by) = &self.approved_by {
            text.push_str(&format!(" (approved by {by})"));
        }
        let place = match self.location.span {
            Some(span) => format!("{}:{}", self.location.path, span.line),
            None => self.location.path.clone(),
        };
        text.push_str(&format!(
            " [{} {place}]: {}",
            self.source.as_str(),
            self.reason
        ));
        if self.expired {
            text.push_str("; the finding counts again");
        }
        text
    }
}

/// What alertlint concluded about one job of a critical workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Its failure reaches a notifier.
    Alerted,
    /// Its failure reaches nobody.
    NotAlerted,
    /// Its only route goes through something that could not be read.
    Unverified,
    /// It is itself the alert route for other jobs.
    AlertRoute,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alerted => "alerted",
            Self::NotAlerted => "not-alerted",
            Self::Unverified => "unverified",
            Self::AlertRoute => "alert-route",
        }
    }
}

/// The kind of route by which a failure reaches a notifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteKind {
    Step,
    Job,
    WorkflowRun,
    Reusable,
    Composite,
}

impl RouteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Step => "step",
            Self::Job => "job",
            Self::WorkflowRun => "workflow_run",
            Self::Reusable => "reusable",
            Self::Composite => "composite",
        }
    }
}

/// Where a job's failure is picked up: the step, job or workflow that alerts on it.
#[derive(Clone, Debug)]
pub struct AlertedBy {
    pub kind: RouteKind,
    pub location: Location,
    /// A short human description, e.g. `step "Alert on failure" (slack)`.
    pub description: String,
}

#[derive(Clone, Debug)]
pub struct JobReport {
    pub id: String,
    pub verdict: Verdict,
    pub alerted_by: Option<AlertedBy>,
    pub location: Location,
}

/// Pass or fail, for a workflow or the whole control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    Unverified,
    NotCritical,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Unverified => "unverified",
            Self::NotCritical => "not-critical",
        }
    }
}

#[derive(Clone, Debug)]
pub struct WorkflowReport {
    pub path: String,
    pub name: Option<String>,
    pub critical: bool,
    pub status: Status,
    pub jobs: Vec<JobReport>,
    /// The cron expressions of its `schedule` trigger, for the online freshness check.
    pub schedules: Vec<String>,
}

/// A secret that an accepted alert route reads, and the place that reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretReference {
    /// The name as the repository stores it; GitHub compares names without case.
    pub name: String,
    /// Where `secrets.NAME` is written: a `with:`, `env:` or `run:` key, or the
    /// `secrets:` entry of a call that passes it on.
    pub location: Location,
    /// The `environment:` of the job that reads it, whose own secrets also count.
    pub environment: Option<String>,
    /// Only that environment can supply it: a reusable workflow reads it, and its caller
    /// passes nothing, so repository and organization secrets never reach it.
    pub environment_only: bool,
}

/// How one online check ended. A skipped check is never a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Fail,
    Skipped,
    Unverified,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Skipped => "skipped",
            Self::Unverified => "unverified",
        }
    }

    /// Whether the check left a question open: it did not run, or could not finish.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Skipped | Self::Unverified)
    }
}

/// One online check and what became of it, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnlineCheck {
    /// `secrets`, `workflow-state`, `schedules` or `remote-files`.
    pub id: String,
    pub status: CheckStatus,
    pub reason: String,
}

/// What GitHub said about one secret an alert route needs. Values are never fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretEvidence {
    pub name: String,
    /// `repository`, `organization` or `environment`, when found.
    pub scope: Option<String>,
    /// The environment it was looked for in (and found in, when `scope` says so).
    pub environment: Option<String>,
    pub found: bool,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// A critical workflow as GitHub knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowStateEvidence {
    pub path: String,
    pub id: Option<u64>,
    /// `active`, `disabled_manually`, `disabled_inactivity`, ...; `None` when GitHub does
    /// not list the file (it has never been on the default branch).
    pub state: Option<String>,
}

/// The newest scheduled run of a workflow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunEvidence {
    pub id: u64,
    pub status: String,
    pub conclusion: Option<String>,
    pub url: String,
    pub created_at: String,
    pub age_seconds: i64,
}

/// Whether a scheduled critical workflow still runs on time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleEvidence {
    pub path: String,
    pub crons: Vec<String>,
    /// The longest time between two firings of all its crons; `None` when they never fire.
    pub longest_gap_seconds: Option<i64>,
    pub grace_seconds: i64,
    pub newest_run: Option<RunEvidence>,
    pub status: CheckStatus,
}

/// Everything the online checks found out, and how many requests it took.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OnlineReport {
    /// `--offline` was asked for: skipped checks then leave the control's status alone.
    pub offline_requested: bool,
    /// `owner/name`, when known.
    pub repository: Option<String>,
    pub checks: Vec<OnlineCheck>,
    pub requests: usize,
    pub secrets: Vec<SecretEvidence>,
    pub workflows: Vec<WorkflowStateEvidence>,
    pub schedules: Vec<ScheduleEvidence>,
}

impl OnlineReport {
    /// Whether a check the user did not opt out of left a question open.
    pub fn leaves_open_questions(&self) -> bool {
        !self.offline_requested && self.checks.iter().any(|c| c.status.is_open())
    }

    pub fn has_failed_check(&self) -> bool {
        self.checks.iter().any(|c| c.status == CheckStatus::Fail)
    }
}

/// Everything one run of `check` concluded.
#[derive(Clone, Debug)]
pub struct Report {
    pub status: Status,
    pub workflows: Vec<WorkflowReport>,
    pub findings: Vec<Finding>,
    /// Secrets the accepted alert routes of critical workflows read.
    pub secrets: Vec<SecretReference>,
    /// Remote files (`owner/repo/path@ref`) that a critical job's verdict waits on.
    pub unread_remote: BTreeSet<String>,
    /// What the online checks found; `None` when they were not part of this run.
    pub online: Option<OnlineReport>,
}

impl Report {
    /// Builds the report and derives every status from the verdicts and findings, so
    /// that no caller can report a pass the findings contradict.
    pub fn new(workflows: Vec<WorkflowReport>, findings: Vec<Finding>) -> Self {
        let mut report = Self {
            status: Status::Pass,
            workflows,
            findings,
            secrets: Vec::new(),
            unread_remote: BTreeSet::new(),
            online: None,
        };
        report.refresh_statuses();
        report
    }

    /// Adds what the online checks found, and derives every status again: a check that
    /// failed fails the control, and one that was skipped or could not finish leaves it
    /// unverified unless `--offline` was asked for.
    pub fn with_online(mut self, online: OnlineReport, findings: Vec<Finding>) -> Self {
        self.findings.extend(findings);
        self.online = Some(online);
        self.refresh_statuses();
        self
    }

    /// Sorts the findings and derives every status from them again; call it after
    /// changing findings, so that no status contradicts them.
    pub fn refresh_statuses(&mut self) {
        sort(&mut self.findings);
        for workflow in &mut self.workflows {
            workflow.status = workflow_status(workflow, &self.findings);
        }
        self.status = control_status(&self.workflows, &self.findings, self.online.as_ref());
    }

    /// The live exception that accepts a job's verdict, if any: a job is waived when the
    /// finding that explains its verdict is.
    pub fn job_waiver(&self, workflow: &WorkflowReport, job: &JobReport) -> Option<&Waiver> {
        job_waiver(&self.findings, workflow, job)
    }

    pub fn critical_jobs(&self) -> impl Iterator<Item = (&WorkflowReport, &JobReport)> {
        self.workflows
            .iter()
            .filter(|w| w.critical)
            .flat_map(|w| w.jobs.iter().map(move |j| (w, j)))
    }
}

/// The rule whose finding explains a verdict that would keep the control from passing.
fn verdict_rule(verdict: Verdict) -> Option<&'static str> {
    match verdict {
        Verdict::NotAlerted => Some("missing-failure-alert"),
        Verdict::Unverified => Some("alert-route-unverified"),
        Verdict::Alerted | Verdict::AlertRoute => None,
    }
}

fn job_waiver<'f>(
    findings: &'f [Finding],
    workflow: &WorkflowReport,
    job: &JobReport,
) -> Option<&'f Waiver> {
    let rule = verdict_rule(job.verdict)?;
    findings
        .iter()
        .find(|f| {
            f.rule == rule
                && f.location.path == workflow.path
                && f.job.as_deref() == Some(job.id.as_str())
                && f.is_waived()
        })
        .and_then(|f| f.waiver.as_ref())
}

/// A job's verdict as it weighs on the control: a waived verdict weighs nothing.
fn weighs(
    findings: &[Finding],
    workflow: &WorkflowReport,
    job: &JobReport,
    verdict: Verdict,
) -> bool {
    job.verdict == verdict && job_waiver(findings, workflow, job).is_none()
}

fn workflow_status(workflow: &WorkflowReport, findings: &[Finding]) -> Status {
    let has_error = findings
        .iter()
        .any(|f| f.is_open_error() && f.location.path == workflow.path);
    if !workflow.critical {
        return if has_error {
            Status::Fail
        } else {
            Status::NotCritical
        };
    }
    let any = |verdict| {
        workflow
            .jobs
            .iter()
            .any(|j| weighs(findings, workflow, j, verdict))
    };
    if has_error || any(Verdict::NotAlerted) {
        Status::Fail
    } else if any(Verdict::Unverified) {
        Status::Unverified
    } else {
        Status::Pass
    }
}

fn control_status(
    workflows: &[WorkflowReport],
    findings: &[Finding],
    online: Option<&OnlineReport>,
) -> Status {
    let any_error = findings.iter().any(Finding::is_open_error);
    let online_failed = online.is_some_and(OnlineReport::has_failed_check);
    let online_open = online.is_some_and(OnlineReport::leaves_open_questions);
    if any_error || online_failed || workflows.iter().any(|w| w.status == Status::Fail) {
        Status::Fail
    } else if online_open || workflows.iter().any(|w| w.status == Status::Unverified) {
        Status::Unverified
    } else {
        Status::Pass
    }
}

/// The order every output lists findings in: by file, then line, then rule.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let line = |f: &Finding| f.location.span.map_or(0, |s| s.line);
        (&a.location.path, line(a), &a.rule).cmp(&(&b.location.path, line(b), &b.rule))
    });
}
