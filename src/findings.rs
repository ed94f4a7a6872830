//! The values every stage shares: findings, their severities and locations, and the
//! verdicts for jobs, workflows and the control. Nothing here reads files or prints.

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
        }
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
}

/// Everything one run of `check` concluded.
#[derive(Clone, Debug)]
pub struct Report {
    pub status: Status,
    pub workflows: Vec<WorkflowReport>,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Builds the report and derives every status from the verdicts and findings, so
    /// that no caller can report a pass the findings contradict.
    pub fn new(mut workflows: Vec<WorkflowReport>, findings: Vec<Finding>) -> Self {
        for workflow in &mut workflows {
            workflow.status = workflow_status(workflow, &findings);
        }
        let status = control_status(&workflows, &findings);
        Self {
            status,
            workflows,
            findings,
        }
    }

    pub fn critical_jobs(&self) -> impl Iterator<Item = (&WorkflowReport, &JobReport)> {
        self.workflows
            .iter()
            .filter(|w| w.critical)
            .flat_map(|w| w.jobs.iter().map(move |j| (w, j)))
    }
}

fn workflow_status(workflow: &WorkflowReport, findings: &[Finding]) -> Status {
    let has_error = findings
        .iter()
        .any(|f| f.severity == Severity::Error && f.location.path == workflow.path);
    if !workflow.critical {
        return if has_error {
            Status::Fail
        } else {
            Status::NotCritical
        };
    }
    if has_error
        || workflow
            .jobs
            .iter()
            .any(|j| j.verdict == Verdict::NotAlerted)
    {
        Status::Fail
    } else if workflow
        .jobs
        .iter()
        .any(|j| j.verdict == Verdict::Unverified)
    {
        Status::Unverified
    } else {
        Status::Pass
    }
}

fn control_status(workflows: &[WorkflowReport], findings: &[Finding]) -> Status {
    let any_error = findings.iter().any(|f| f.severity == Severity::Error);
    if any_error || workflows.iter().any(|w| w.status == Status::Fail) {
        Status::Fail
    } else if workflows.iter().any(|w| w.status == Status::Unverified) {
        Status::Unverified
    } else {
        Status::Pass
    }
}
