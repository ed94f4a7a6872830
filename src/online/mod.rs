//! The checks only the GitHub API can answer: do the secrets the alert routes read exist,
//! are the critical workflows enabled, do their schedules still fire, and what do the
//! remote reusable workflows and actions on a route contain. Each check has its own file;
//! [`client`] is the one HTTP client they share.
//!
//! These checks add findings and evidence to the report the analysis made; the analysis
//! never calls them. A check that cannot run is listed as skipped or unverified with the
//! reason, and [`Report::with_online`](crate::findings::Report::with_online) decides what
//! that means for the control.

mod client;
mod cron;
mod remote;
mod schedule;
mod secrets;
pub mod target;
mod workflows;

use std::time::Duration;

use crate::config::Config;
use crate::findings::{
    CheckStatus, Finding, Location, OnlineCheck, OnlineReport, Report, SecretReference, Severity,
    WorkflowReport,
};
use crate::repo::Repository;
use client::{ApiError, ClientSettings, GitHub};
pub use target::Options;
use target::{Readiness, Target};

/// The checks, in the order they run and are shown.
const SECRETS: &str = "secrets";
const WORKFLOW_STATE: &str = "workflow-state";
const SCHEDULES: &str = "schedules";
const REMOTE_FILES: &str = "remote-files";

const NO_REMOTE_FILES: &str = "no critical job waits on a remote reusable workflow or action";

/// Minutes a scheduled run may be late beyond its cron's longest gap, unless the config
/// says otherwise.
pub const DEFAULT_GRACE_MINUTES: u64 = 60;

/// Seconds one request to the API may take, connection and body included, unless
/// `--request-timeout` says otherwise.
pub const DEFAULT_REQUEST_TIMEOUT_SECONDS: u64 = 30;

/// Judges the repository with `analyse`, then runs the online checks when they can run,
/// and returns the report with their results. `Err` is an argument the user must fix.
pub fn check(
    repo: &mut Repository,
    analyse: &dyn Fn(&Repository) -> Report,
    config: &Config,
    options: &Options,
    max_bytes: u64,
) -> Result<Report, String> {
    let readiness = target::resolve(options, &|name| std::env::var(name).ok(), &repo.root)?;
    let report = analyse(repo);
    Ok(match readiness {
        Readiness::Offline => without_api(report, config, "--offline was given", true),
        Readiness::Unable(reason) => without_api(report, config, &reason, false),
        Readiness::Ready(target) => {
            let session = Session {
                config,
                max_wait: Duration::from_secs(options.rate_limit_wait),
                request_timeout: Duration::from_secs(options.request_timeout),
                max_bytes,
            };
            session.run(repo, analyse, report, target)
        }
    })
}

/// What each check has to look at, taken from the analysis and the config.
struct Plan<'r> {
    secrets: Vec<SecretReference>,
    critical: Vec<&'r WorkflowReport>,
    scheduled: Vec<&'r WorkflowReport>,
    remote: Vec<String>,
}

impl<'r> Plan<'r> {
    fn new(report: &'r Report, config: &Config) -> Self {
        let mut secrets = report.secrets.clone();
        for (index, name) in config.required_secrets.iter().enumerate() {
            secrets.push(SecretReference {
                name: name.clone(),
                location: Location::at(
                    crate::config::CONFIG_PATH,
                    crate::route!["required_secrets", index],
                ),
                environment: None,
                environment_only: false,
            });
        }
        let critical: Vec<&WorkflowReport> =
            report.workflows.iter().filter(|w| w.critical).collect();
        let scheduled = critical
            .iter()
            .copied()
            .filter(|w| !w.schedules.is_empty())
            .collect();
        Self {
            secrets,
            critical,
            scheduled,
            remote: report.unread_remote.iter().cloned().collect(),
        }
    }

    /// Why a check has nothing to do, or `None` when it has work.
    fn nothing_for(&self, id: &str) -> Option<&'static str> {
        match id {
            SECRETS if self.secrets.is_empty() => Some(
                "no alert route of a critical workflow reads a secret, and the config requires none",
            ),
            WORKFLOW_STATE if self.critical.is_empty() => Some("there is no critical workflow"),
            SCHEDULES if self.scheduled.is_empty() => Some("no critical workflow has a schedule"),
            REMOTE_FILES if self.remote.is_empty() => Some(NO_REMOTE_FILES),
            _ => None,
        }
    }
}

/// The online part of the report when no request was made: every check with work to do
/// is skipped for `reason`.
fn without_api(report: Report, config: &Config, reason: &str, offline: bool) -> Report {
    not_run(report, config, reason, CheckStatus::Skipped, offline)
}

/// The report when the client cannot even be built: every check with work is
/// unverified for the same reason.
fn unable(report: Report, config: &Config, reason: &str) -> Report {
    not_run(report, config, reason, CheckStatus::Unverified, false)
}

fn not_run(
    report: Report,
    config: &Config,
    reason: &str,
    status: CheckStatus,
    offline: bool,
) -> Report {
    let plan = Plan::new(&report, config);
    let checks: Vec<OnlineCheck> = [SECRETS, WORKFLOW_STATE, SCHEDULES, REMOTE_FILES]
        .iter()
        .map(|id| match plan.nothing_for(id) {
            Some(nothing) => passed(id, nothing),
            None => OnlineCheck {
                id: id.to_string(),
                status,
                reason: reason.to_string(),
            },
        })
        .collect();
    let online = OnlineReport {
        offline_requested: offline,
        checks,
        ..OnlineReport::default()
    };
    let findings = match offline {
        true => Vec::new(),
        false => unverified_findings(&online.checks),
    };
    report.with_online(online, findings)
}

/// One run of the online checks against one repository.
struct Session<'c> {
    config: &'c Config,
    max_wait: Duration,
    request_timeout: Duration,
    max_bytes: u64,
}

impl Session<'_> {
    fn run(
        &self,
        repo: &mut Repository,
        analyse: &dyn Fn(&Repository) -> Report,
        report: Report,
        target: Target,
    ) -> Report {
        let repository = target.repository.text();
        tracing::info!(
            "online checks for {repository} through {} with the token in {}",
            target.api_url,
            target.token_source
        );
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => return unable(report, self.config, &e.to_string()),
        };
        // The client spawns its connection worker, so it is built inside the runtime.
        let _inside = runtime.enter();
        let client = match GitHub::new(ClientSettings {
            api_url: target.api_url.clone(),
            token: target.token.clone(),
            max_wait: self.max_wait,
            request_timeout: self.request_timeout,
        }) {
            Ok(client) => client,
            Err(e) => return unable(report, self.config, &e),
        };
        let (report, mut online, mut findings) =
            runtime.block_on(self.checks(&client, repo, analyse, report, &target));
        online.repository = Some(repository);
        online.requests = client.requests();
        tracing::info!("{} requests to the GitHub API", online.requests);
        findings.extend(unverified_findings(&online.checks));
        for finding in &mut findings {
            repo.place(&mut finding.location);
        }
        report.with_online(online, findings)
    }

    async fn checks(
        &self,
        client: &GitHub,
        repo: &mut Repository,
        analyse: &dyn Fn(&Repository) -> Report,
        report: Report,
        target: &Target,
    ) -> (Report, OnlineReport, Vec<Finding>) {
        let context = Context { client, target };
        let first_plan_has_remote = !report.unread_remote.is_empty();
        let fetched = remote::resolve(&context, repo, analyse, report, self.max_bytes).await;
        let report = fetched.report;
        let plan = Plan::new(&report, self.config);
        let grace = self
            .config
            .schedule_grace_minutes
            .unwrap_or(DEFAULT_GRACE_MINUTES) as i64
            * 60;

        let secrets = secrets::check(&context, &plan.secrets).await;
        let states = workflows::check(&context, &plan.critical).await;
        let schedules =
            schedule::check(&context, &plan.scheduled, states.listed.as_deref(), grace).await;

        let mut checks = Vec::new();
        let mut findings = Vec::new();
        for outcome in [secrets.outcome, states.outcome, schedules.outcome] {
            let nothing = plan.nothing_for(&outcome.check.id);
            checks.push(match nothing {
                Some(nothing) if outcome.check.status == CheckStatus::Pass => {
                    passed(&outcome.check.id, nothing)
                }
                _ => outcome.check,
            });
            findings.extend(outcome.findings);
        }
        checks.push(match first_plan_has_remote {
            true => fetched.outcome.check,
            false => passed(REMOTE_FILES, NO_REMOTE_FILES),
        });
        let online = OnlineReport {
            checks,
            secrets: secrets.evidence,
            workflows: states.evidence,
            schedules: schedules.evidence,
            ..OnlineReport::default()
        };
        (report, online, findings)
    }
}

/// What every check needs: the client and the repository it asks about.
struct Context<'a> {
    client: &'a GitHub,
    target: &'a Target,
}

impl Context<'_> {
    /// `/repos/OWNER/NAME` followed by `rest`.
    fn repo_path(&self, rest: &str) -> String {
        let slug = &self.target.repository;
        format!("/repos/{}/{}{rest}", slug.owner, slug.name)
    }

    /// Why a request failed, and what to do about it, for a user who only wanted the
    /// check to run. `asked` says what alertlint was trying to learn.
    fn explain(&self, error: &ApiError, asked: &str) -> String {
        let repository = self.target.repository.text();
        let source = &self.target.token_source;
        match error.status() {
            Some(401) => format!(
                "GitHub refused the token in {source} while trying to {asked} (401): it is \
                 expired, revoked or mistyped. Create a new one (see the README's Online checks)"
            ),
            Some(403) => format!(
                "GitHub refused to let the token in {source} {asked} ({}). A workflow's \
                 GITHUB_TOKEN can never list secrets, because no `permissions:` key grants it. \
                 Use a fine-grained token or a GitHub App token with Secrets, Environments, \
                 Actions and Metadata read on {repository}, or a classic token with `repo`, \
                 in GH_TOKEN or the variable named by --token-env",
                error.describe()
            ),
            Some(404) => format!(
                "GitHub answered 404 while trying to {asked}: {repository} does not exist, or \
                 the token in {source} cannot see it (a fine-grained token must be granted \
                 this repository). Check --repo, or GITHUB_REPOSITORY, or the `origin` remote"
            ),
            Some(500..=599) => format!(
                "could not {asked}: {}, and asking again did not help. The fault is on the \
                 server's side; run again later",
                error.describe()
            ),
            _ => format!("could not {asked}: {}", error.describe()),
        }
    }
}

/// A check's result and the findings that explain it.
struct Outcome {
    check: OnlineCheck,
    findings: Vec<Finding>,
}

impl Outcome {
    fn new(id: &str, status: CheckStatus, reason: impl Into<String>) -> Self {
        Self {
            check: OnlineCheck {
                id: id.to_string(),
                status,
                reason: reason.into(),
            },
            findings: Vec::new(),
        }
    }

    fn with_findings(mut self, findings: Vec<Finding>) -> Self {
        self.findings = findings;
        self
    }
}

fn passed(id: &str, reason: &str) -> OnlineCheck {
    OnlineCheck {
        id: id.to_string(),
        status: CheckStatus::Pass,
        reason: reason.to_string(),
    }
}

/// One warning per distinct reason that left checks open, naming the checks.
fn unverified_findings(checks: &[OnlineCheck]) -> Vec<Finding> {
    let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
    for check in checks.iter().filter(|c| c.status.is_open()) {
        match reasons
            .iter_mut()
            .find(|(reason, _)| *reason == check.reason)
        {
            Some((_, ids)) => ids.push(&check.id),
            None => reasons.push((&check.reason, vec![&check.id])),
        }
    }
    reasons
        .into_iter()
        .map(|(reason, ids)| {
            let checks = ids.join(", ");
            let message = format!(
                "the online check{} {checks} could not run, so the control is unverified: {reason}",
                if ids.len() == 1 { "" } else { "s" }
            );
            Finding::new(
                "online-check-unverified",
                Severity::Warning,
                message,
                Location::default(),
            )
        })
        .collect()
}
