//! Property test: random repositories shaped like real ones (jobs, needs graphs with
//! cycles, self-needs and needs on jobs that do not exist, steps that use actions or run
//! scripts, `if:` expressions built from status functions, contexts, operators,
//! parentheses and negations, and YAML nested where it does not belong) go through the
//! real loading, analysis and output. Whatever they hold, the run must end in bounded
//! time without a panic, and the report must keep its promises:
//!
//! - every job of every critical workflow gets exactly one verdict;
//! - a job is `alerted` only with an `alerted_by`, and has one only then;
//! - the control passes only with no error finding and no job left not alerted.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;

use alertlint::analysis::{CriticalSelector, analyse};
use alertlint::findings::{Report, Severity, Status, Verdict};
use alertlint::output::{human, json};
use alertlint::repo::{DEFAULT_MAX_FILE_BYTES, Repository};

/// Cases per run: enough to reach the odd shapes, few enough for CI (see README). Set
/// `PROPTEST_CASES` to run more.
const CASES: u32 = 1024;

/// A case still running after this is a hang, not a slow case.
const HANG: Duration = Duration::from_secs(20);

const JOB_IDS: [&str; 7] = ["build", "sync", "load", "report", "notify", "a-b", "c_d"];

// ---------------------------------------------------------------- `if:` expressions

fn context() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("github.ref".to_string()),
        Just("github.event_name".to_string()),
        Just("github.event.workflow_run.conclusion".to_string()),
        Just("job.status".to_string()),
        Just("env.ALERT".to_string()),
        Just("inputs.alert".to_string()),
        Just("needs.*.result".to_string()),
        prop::sample::select(&JOB_IDS[..]).prop_map(|id| format!("needs.{id}.result")),
        prop::sample::select(&["sync", "x"][..]).prop_map(|id| format!("steps.{id}.outcome")),
    ]
}

fn literal() -> impl Strategy<Value = String> {
    prop::sample::select(
        &[
            "'failure'",
            "'success'",
            "'cancelled'",
            "'refs/heads/main'",
            "true",
            "false",
            "null",
            "0",
            "1",
            "''",
        ][..],
    )
    .prop_map(str::to_string)
}

fn leaf_expression() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(&["success()", "failure()", "cancelled()", "always()"][..])
            .prop_map(str::to_string),
        2 => context(),
        1 => literal(),
        1 => (context(), literal()).prop_map(|(c, l)| format!("contains({c}, {l})")),
        1 => (context(), literal()).prop_map(|(c, l)| format!("startsWith({c}, {l})")),
    ]
}

fn expression() -> impl Strategy<Value = String> {
    leaf_expression().prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| format!("!{e}")),
            inner.clone().prop_map(|e| format!("!({e})")),
            inner.clone().prop_map(|e| format!("({e})")),
            (
                inner.clone(),
                prop::sample::select(&["&&", "||", "==", "!=", "<", ">="][..]),
                inner
            )
                .prop_map(|(l, op, r)| format!("{l} {op} {r}")),
        ]
    })
}

/// An `if:` as written: none, one of the usual alert guards, or a random expression,
/// bare or in `${{ }}`, quoted for YAML.
fn condition() -> impl Strategy<Value = Option<String>> {
    let usual = prop::sample::select(&["failure()", "failure() || cancelled()", "always()"][..])
        .prop_map(str::to_string);
    prop_oneof![
        3 => Just(None),
        2 => usual.prop_map(|e| Some(quoted(&e))),
        3 => (expression(), any::<bool>()).prop_map(|(e, wrapped)| {
            let text = if wrapped { format!("${{{{ {e} }}}}") } else { e };
            Some(quoted(&text))
        }),
    ]
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

// ---------------------------------------------------------------- nested YAML

/// A YAML value nested a few levels, in flow or block style.
fn nested_yaml() -> impl Strategy<Value = String> {
    let leaf =
        prop::sample::select(&["x", "1", "true", "~", "'quoted'", "&anchor y", "*anchor"][..])
            .prop_map(str::to_string);
    leaf.prop_recursive(5, 32, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec(inner, 0..3).prop_map(|items| {
                let pairs: Vec<String> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("k{i}: {v}"))
                    .collect();
                format!("{{{}}}", pairs.join(", "))
            }),
        ]
    })
}

// ---------------------------------------------------------------- steps and jobs

fn uses_step() -> impl Strategy<Value = String> {
    prop::sample::select(
        &[
            "actions/checkout@v4",
            "./.github/actions/notify",
            "./.github/actions/missing",
            "./../../outside",
            ".//etc/absolute",
            "slackapi/slack-github-action@v2",
            "slackapi/slack-github-action@v1.27.0",
            "rtCamp/action-slack-notify@v2",
            "PagerDuty/pagerduty-change-events-action@v1",
            "some-org/uncatalogued@v3",
            "docker://alpine:3",
        ][..],
    )
    .prop_map(|uses| {
        let with = match uses.starts_with("slackapi") {
            true => "\n        with:\n          webhook: ${{ secrets.SLACK_WEBHOOK_URL }}\n          webhook-type: incoming-webhook",
            false => "",
        };
        format!("uses: {uses}{with}")
    })
}

fn run_step() -> impl Strategy<Value = String> {
    prop::sample::select(
        &[
            "./sync.sh",
            "echo done",
            "curl -fsS -X POST \\\"${{ secrets.SLACK_WEBHOOK_URL }}\\\" -d '{}'",
            "curl https://api.github.com/repos/x/y/actions/runs",
            "echo x >> $GITHUB_ENV",
        ][..],
    )
    .prop_map(|script| format!("run: \"{script}\""))
}

fn step() -> impl Strategy<Value = String> {
    (
        prop_oneof![uses_step(), run_step()],
        condition(),
        prop::bool::weighted(0.15),
        prop::option::of(prop::sample::select(&["sync", "x"][..])),
        prop::option::weighted(0.02, nested_yaml()),
    )
        .prop_map(|(body, condition, continues, id, nested)| {
            let mut step = format!("      - {body}\n");
            if let Some(condition) = condition {
                step.push_str(&format!("        if: {condition}\n"));
            }
            if continues {
                step.push_str("        continue-on-error: true\n");
            }
            if let Some(id) = id {
                step.push_str(&format!("        id: {id}\n"));
            }
            if let Some(nested) = nested {
                step.push_str(&format!("        env:\n          NESTED: {nested}\n"));
            }
            step
        })
}

/// A job's `needs:`: a job before it (as in most real files), any job by position in the
/// list, itself and later ones included (cycles), or one that does not exist.
#[derive(Clone, Debug)]
enum Need {
    Earlier(usize),
    Any(usize),
    Missing,
}

#[derive(Clone, Debug)]
struct JobShape {
    needs: Vec<Need>,
    flow_needs: bool,
    condition: Option<String>,
    body: String,
    timeout: bool,
}

/// The usual last step of an alerted job, so that passing repositories come up too.
const ALERT_STEP: &str = "      - if: failure() || cancelled()\n        run: curl -fsS -X POST \"$SLACK_WEBHOOK_URL\" -d '{}'\n        env:\n          SLACK_WEBHOOK_URL: ${{ secrets.SLACK_WEBHOOK_URL }}\n";

fn job_body() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => (prop::collection::vec(step(), 1..5), prop::bool::weighted(0.4)).prop_map(
            |(steps, alert_last)| {
                let last = if alert_last { ALERT_STEP } else { "" };
                format!(
                    "    runs-on: ubuntu-latest\n    steps:\n{}{last}",
                    steps.concat()
                )
            }
        ),
        3 => prop::sample::select(&[
            "./.github/workflows/callee.yml",
            "./.github/workflows/w0.yml",
            "./../outside.yml",
            "some-org/shared/.github/workflows/notify.yml@v1",
        ][..])
        .prop_map(|uses| format!("    uses: {uses}\n")),
        1 => nested_yaml().prop_map(|nested| format!("    runs-on: {nested}\n    steps: []\n")),
    ]
}

fn job_shape() -> impl Strategy<Value = JobShape> {
    (
        prop::collection::vec(
            prop_oneof![
                12 => (0..JOB_IDS.len()).prop_map(Need::Earlier),
                4 => (0..JOB_IDS.len()).prop_map(Need::Any),
                1 => Just(Need::Missing),
            ],
            0..3,
        ),
        any::<bool>(),
        condition(),
        job_body(),
        any::<bool>(),
    )
        .prop_map(|(needs, flow_needs, condition, body, timeout)| JobShape {
            needs,
            flow_needs,
            condition,
            body,
            timeout,
        })
}

fn render_job(position: usize, job: &JobShape, ids: &[&str]) -> String {
    let mut text = format!("  {}:\n", ids[position]);
    let needs: Vec<&str> = job
        .needs
        .iter()
        .filter_map(|need| match need {
            Need::Earlier(n) => (position > 0).then(|| ids[n % position]),
            Need::Any(n) => Some(ids[n % ids.len()]),
            Need::Missing => Some("ghost"),
        })
        .collect();
    match (needs.is_empty(), job.flow_needs) {
        (true, _) => {}
        (false, true) => text.push_str(&format!("    needs: [{}]\n", needs.join(", "))),
        (false, false) => {
            text.push_str("    needs:\n");
            for need in &needs {
                text.push_str(&format!("      - {need}\n"));
            }
        }
    }
    if let Some(condition) = &job.condition {
        text.push_str(&format!("    if: {condition}\n"));
    }
    if job.timeout && !job.body.contains("uses: ") {
        text.push_str("    timeout-minutes: 30\n");
    }
    text.push_str(&job.body);
    text
}

// ---------------------------------------------------------------- workflows

fn trigger() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("on:\n  schedule:\n    - cron: '0 3 * * *'\n".to_string()),
        Just("on: push\n".to_string()),
        Just("on:\n  workflow_call:\n".to_string()),
        Just("on:\n  schedule:\n    - cron: '0 3 * * *'\n  workflow_call:\n".to_string()),
        prop::sample::select(
            &[
                "Nightly 0",
                "Nightly 1",
                "w0.yml",
                ".github/workflows/w1.yml"
            ][..]
        )
        .prop_map(|named| format!(
            "on:\n  workflow_run:\n    workflows: [\"{named}\"]\n    types: [completed]\n"
        )),
    ]
}

fn workflow(index: usize) -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        trigger(),
        prop_oneof![
            9 => prop::collection::vec(job_shape(), 1..6),
            1 => Just(Vec::new()),
        ],
    )
        .prop_map(move |(named, trigger, jobs)| {
            let ids: Vec<&str> = JOB_IDS.iter().take(jobs.len().max(1)).copied().collect();
            let mut text = String::new();
            if named {
                text.push_str(&format!("name: Nightly {index}\n"));
            }
            text.push_str(&trigger);
            text.push_str("jobs:\n");
            for (position, job) in jobs.iter().enumerate() {
                text.push_str(&render_job(position, job, &ids));
            }
            text
        })
}

const NOTIFY_ACTION: &str = "name: Notify\nruns:\n  using: composite\n  steps:\n    - if: failure()\n      shell: bash\n      run: curl -fsS -X POST \"$SLACK_WEBHOOK_URL\" -d '{}'\n    - uses: ./.github/actions/notify\n";

fn repository() -> impl Strategy<Value = BTreeMap<String, Vec<u8>>> {
    (
        workflow(0),
        prop::option::of(workflow(1)),
        prop::option::of(workflow(2)),
        any::<bool>(),
    )
        .prop_map(|(first, second, callee, with_action)| {
            let mut files = BTreeMap::new();
            files.insert(".github/workflows/w0.yml".to_string(), first.into_bytes());
            if let Some(second) = second {
                files.insert(".github/workflows/w1.yml".to_string(), second.into_bytes());
            }
            if let Some(callee) = callee {
                files.insert(
                    ".github/workflows/callee.yml".to_string(),
                    callee.into_bytes(),
                );
            }
            if with_action {
                let path = ".github/actions/notify/action.yml".to_string();
                files.insert(path, NOTIFY_ACTION.as_bytes().to_vec());
            }
            files
        })
}

// ---------------------------------------------------------------- the properties

/// Loads, judges and renders the repository on another thread, so that a hang fails the
/// case instead of stalling the suite.
fn judge(files: BTreeMap<String, Vec<u8>>, everything_critical: bool) -> (Repository, Report) {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let repo = Repository::from_memory(files, DEFAULT_MAX_FILE_BYTES);
        let patterns = match everything_critical {
            true => vec!["**".to_string()],
            false => Vec::new(),
        };
        let selector = CriticalSelector::new(&patterns).expect("a valid glob");
        let report = analyse(&repo, &selector);
        let options = human::HumanOptions {
            color: false,
            width: 100,
        };
        human::render(&report, &repo, &options);
        let rendered: serde_json::Value =
            serde_json::from_str(&json::render(&report)).expect("the JSON output is JSON");
        assert_eq!(rendered["control"]["status"], report.status.as_str());
        let _ = sender.send((repo, report));
    });
    receiver
        .recv_timeout(HANG)
        .expect("the analysis ended (a panic or a hang otherwise)")
}

fn check_invariants(repo: &Repository, report: &Report) -> Result<(), TestCaseError> {
    for file in &repo.workflows {
        let reports: Vec<_> = report
            .workflows
            .iter()
            .filter(|w| w.path == file.source.path)
            .collect();
        prop_assert_eq!(reports.len(), 1, "one report for {}", &file.source.path);
        let (Ok(parsed), true) = (&file.parsed, reports[0].critical) else {
            continue;
        };
        let mut judged: Vec<&str> = reports[0].jobs.iter().map(|j| j.id.as_str()).collect();
        judged.sort_unstable();
        let mut written: Vec<&str> = parsed.jobs.keys().map(String::as_str).collect();
        written.sort_unstable();
        prop_assert_eq!(
            judged,
            written,
            "each job of {} judged once",
            &file.source.path
        );
    }
    for (_, job) in report.critical_jobs() {
        prop_assert_eq!(
            job.verdict == Verdict::Alerted,
            job.alerted_by.is_some(),
            "job {} is {} with alerted_by {:?}",
            &job.id,
            job.verdict.as_str(),
            &job.alerted_by
        );
    }
    if report.status == Status::Pass {
        let errors: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| &f.rule)
            .collect();
        prop_assert!(errors.is_empty(), "pass despite {:?}", errors);
        prop_assert!(
            report
                .critical_jobs()
                .all(|(_, j)| j.verdict != Verdict::NotAlerted),
            "pass with a job not alerted"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|cases| cases.parse().ok())
            .unwrap_or(CASES),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_workflow_shaped_repository_is_judged_and_keeps_the_report_invariants(
        files in repository(),
        everything_critical in any::<bool>(),
    ) {
        let (repo, report) = judge(files, everything_critical);
        check_invariants(&repo, &report)?;
    }
}
