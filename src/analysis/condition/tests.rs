//! The condition evaluator against hand-written expectations, one row per behaviour.

use super::*;

fn failed_needs() -> Scenario {
    // A job-level view of a run in which `build` failed and `load` was skipped for it.
    Scenario {
        failure: true,
        ..Scenario::default()
    }
    .with("needs.build.result", Value::text("failure"))
    .with("needs.load.result", Value::text("skipped"))
    .with("needs.*", Value::Null)
}

fn t() -> Truth {
    Truth::True
}

fn f() -> Truth {
    Truth::False
}

fn u(contexts: &[&str]) -> Truth {
    Truth::Unknown(contexts.iter().map(|c| c.to_string()).collect())
}

#[test]
fn conditions_after_a_failed_step() {
    let rows: &[(&str, Truth)] = &[
        ("failure()", t()),
        ("${{ failure() }}", t()),
        ("  ${{ failure() }}  ", t()),
        ("success()", f()),
        ("always()", t()),
        ("cancelled()", f()),
        ("failure() || cancelled()", t()),
        ("!success()", t()),
        ("${{ !success() }}", t()),
        ("!cancelled()", t()),
        ("!failure()", f()),
        ("!cancelled() && !failure()", f()),
        ("!cancelled() && (success() || failure())", t()),
        ("Failure()", t()),
        ("FAILURE() && true", t()),
        (
            "failure() && github.ref == 'refs/heads/main'",
            u(&["github.ref"]),
        ),
        (
            "github.ref == 'refs/heads/main' && failure()",
            u(&["github.ref"]),
        ),
        ("failure() && false", f()),
        ("failure() || github.ref == 'x'", t()),
        ("always() && env.NOTIFY == 'true'", u(&["env.NOTIFY"])),
        ("job.status == 'failure'", f()),
        ("env.SEND == 'yes'", f()),
        ("github.event_name == 'schedule'", f()),
        ("steps.run.outcome != 'success'", f()),
        ("true", f()),
        ("failure() && job.status == 'FAILURE'", t()),
        ("always() && job.status != 'success'", t()),
        ("cancelled() || failure()", t()),
        (
            "failure() && (github.event_name == 'schedule' || github.event_name == 'push')",
            u(&["github.event_name"]),
        ),
        (
            "failure() && steps.check.outputs.failures > 0",
            u(&["steps.check.outputs.failures"]),
        ),
        ("failure() && 1 == '1'", t()),
        ("failure() && startsWith(job.status, 'FAIL')", t()),
        ("failure() && endsWith('refs/heads/main', 'main')", t()),
        ("failure() && contains('abc', 'B')", t()),
        (
            "failure() && format('{0}', 'x') == 'x'",
            u(&["`format('{0}', 'x')`"]),
        ),
    ];
    for (text, expected) in rows {
        let got = Condition::from_text(text).evaluate(&Scenario::after_failure());
        assert_eq!(&got, expected, "if: {text}");
    }
}

#[test]
fn conditions_at_job_level_after_a_need_failed() {
    let rows: &[(&str, Truth)] = &[
        ("failure()", t()),
        ("contains(needs.*.result, 'failure')", f()),
        ("always() && contains(needs.*.result, 'failure')", t()),
        ("always() && contains(needs.*.result, 'cancelled')", f()),
        ("needs.build.result == 'failure'", f()),
        ("always() && needs.build.result == 'failure'", t()),
        ("always() && needs.load.result == 'failure'", f()),
        ("always() && needs.load.result != 'success'", t()),
        ("always() && needs['build'].result == 'failure'", t()),
        (
            "always() && needs.other.result == 'failure'",
            u(&["needs.other.result"]),
        ),
        ("needs.build.result == 'success'", f()),
        ("!success()", t()),
    ];
    for (text, expected) in rows {
        let got = Condition::from_text(text).evaluate(&failed_needs());
        assert_eq!(&got, expected, "if: {text}");
    }
}

#[test]
fn a_missing_if_runs_only_while_everything_succeeds() {
    assert_eq!(
        Condition::from_if(None).evaluate(&Scenario::after_failure()),
        f()
    );
    assert_eq!(Condition::from_if(None).evaluate(&Scenario::clean()), t());
}

#[test]
fn a_literal_boolean_if_still_carries_the_implicit_success() {
    let literal = If::Bool(true);
    assert_eq!(
        Condition::from_if(Some(&literal)).evaluate(&Scenario::after_failure()),
        f()
    );
}

#[test]
fn status_function_inside_negation_suppresses_the_implicit_success() {
    let condition = Condition::from_text("!success()");
    assert!(condition.has_status_function());
    assert!(!Condition::from_text("env.X == 'y'").has_status_function());
}

#[test]
fn failure_only_alert_is_skipped_on_cancellation() {
    let cancelled = Scenario::after_cancellation();
    assert_eq!(Condition::from_text("failure()").evaluate(&cancelled), f());
    assert_eq!(
        Condition::from_text("failure() || cancelled()").evaluate(&cancelled),
        t()
    );
    assert_eq!(Condition::from_text("always()").evaluate(&cancelled), t());
}

#[test]
fn deeply_nested_conditions_never_fire_instead_of_overflowing() {
    let deep = format!("failure() && {}true{}", "(".repeat(5000), ")".repeat(5000));
    assert_eq!(
        Condition::from_text(&deep).evaluate(&Scenario::after_failure()),
        f()
    );
    let nots = format!("failure() && {}true", "!".repeat(5000));
    assert_eq!(
        Condition::from_text(&nots).evaluate(&Scenario::after_failure()),
        f()
    );
}

#[test]
fn unparseable_condition_never_counts_as_firing() {
    // GitHub rejects these workflows, so no alert in them can fire.
    for text in [
        "failure() && (((",
        "failure() && 'abc",
        "failure() && nosuchfn()",
    ] {
        let got = Condition::from_text(text).evaluate(&Scenario::after_failure());
        assert_eq!(got, f(), "if: {text}");
    }
}

#[test]
fn strings_order_without_case_and_numbers_as_numbers() {
    let rows: &[(&str, Truth)] = &[
        ("failure() && 'a' < 'b'", t()),
        ("failure() && 'B' > 'a'", t()),
        ("failure() && !('a' < 'b')", f()),
        ("failure() && 2 > 10", f()),
        ("failure() && '10' > 9", t()),
        ("failure() && 'x' < 1", f()),
    ];
    for (text, expected) in rows {
        let got = Condition::from_text(text).evaluate(&Scenario::after_failure());
        assert_eq!(&got, expected, "if: {text}");
    }
}

#[test]
fn workflow_run_conclusion_is_read_from_the_scenario() {
    let scenario = Scenario::clean().with(
        "github.event.workflow_run.conclusion",
        Value::text("failure"),
    );
    let rows: &[(&str, Truth)] = &[
        ("github.event.workflow_run.conclusion == 'failure'", t()),
        (
            "${{ github.event.workflow_run.conclusion != 'success' }}",
            t(),
        ),
        ("github.event.workflow_run.conclusion == 'success'", f()),
        (
            "github.event.workflow_run.conclusion == 'failure' && github.event.workflow_run.head_branch == 'main'",
            u(&["github.event.workflow_run.head_branch"]),
        ),
    ];
    for (text, expected) in rows {
        assert_eq!(
            &Condition::from_text(text).evaluate(&scenario),
            expected,
            "if: {text}"
        );
    }
}
