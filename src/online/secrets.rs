//! `secret-missing`: every secret an alert route reads, and every name the config
//! requires, must exist where the reading job can see it: a repository secret, an
//! organization secret shared with the repository, or a secret of the job's environment.
//! GitHub lists names and dates only; values are never asked for.

use serde::Deserialize;

use super::client::ApiError;
use super::{Context, Outcome, SECRETS};
use crate::findings::{CheckStatus, Finding, SecretEvidence, SecretReference, Severity};

/// One entry of a secrets list, as GitHub documents it.
#[derive(Clone, Debug, Deserialize)]
struct ListedSecret {
    name: String,
    created_at: Option<String>,
    updated_at: Option<String>,
}

/// What the check found, and the evidence for each secret.
pub struct Checked {
    pub outcome: Outcome,
    pub evidence: Vec<SecretEvidence>,
}

/// Where a secret was looked for and what came of it.
enum Lookup {
    Found {
        scope: &'static str,
        listed: ListedSecret,
    },
    Missing {
        /// The environment does not exist at all, when that is why.
        environment_absent: bool,
    },
    Unknown(String),
}

pub async fn check(context: &Context<'_>, references: &[SecretReference]) -> Checked {
    let mut evidence: Vec<SecretEvidence> = Vec::new();
    let mut findings = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for reference in references {
        let lookup = locate(context, reference).await;
        let entry = evidence_for(reference, &lookup);
        if !evidence.contains(&entry) {
            evidence.push(entry);
        }
        match lookup {
            Lookup::Found { .. } => {}
            Lookup::Missing { environment_absent } => {
                findings.push(missing(context, reference, environment_absent));
            }
            Lookup::Unknown(reason) if !unknown.contains(&reason) => unknown.push(reason),
            Lookup::Unknown(_) => {}
        }
    }
    let outcome = match (findings.len(), unknown.first()) {
        (0, None) => Outcome::new(
            SECRETS,
            CheckStatus::Pass,
            format!(
                "{} secret(s) the alert routes read, all found on GitHub",
                evidence.len()
            ),
        ),
        (0, Some(reason)) => Outcome::new(SECRETS, CheckStatus::Unverified, reason.clone()),
        (missing, _) => Outcome::new(
            SECRETS,
            CheckStatus::Fail,
            format!("{missing} secret reference(s) name a secret that does not exist"),
        ),
    };
    Checked {
        outcome: outcome.with_findings(findings),
        evidence,
    }
}

/// Looks for the secret where the reading job can see it: the repository, the job's
/// environment, then the organization. Lists are fetched only when needed, once each.
async fn locate(context: &Context<'_>, reference: &SecretReference) -> Lookup {
    let mut errors = Vec::new();
    let mut environment_absent = false;
    if !reference.environment_only {
        let path = context.repo_path("/actions/secrets");
        match find(context, &path, &reference.name).await {
            Ok(Some(listed)) => return found("repository", listed),
            Ok(None) => {}
            Err(e) => errors.push(context.explain(&e, "list the repository's secrets")),
        }
    }
    if let Some(environment) = literal_environment(reference) {
        let encoded =
            percent_encoding::utf8_percent_encode(environment, percent_encoding::NON_ALPHANUMERIC);
        let path = context.repo_path(&format!("/environments/{encoded}/secrets"));
        match find(context, &path, &reference.name).await {
            Ok(Some(listed)) => return found("environment", listed),
            Ok(None) => {}
            Err(e) if e.status() == Some(404) => environment_absent = true,
            Err(e) => errors.push(context.explain(
                &e,
                &format!("list the secrets of environment `{environment}`"),
            )),
        }
    } else if reference.environment.is_some() {
        errors.push(format!(
            "the environment of the job that reads secret `{}` is an expression, so its secrets \
             cannot be listed",
            reference.name
        ));
    }
    if !reference.environment_only {
        let path = context.repo_path("/actions/organization-secrets");
        match find(context, &path, &reference.name).await {
            Ok(Some(listed)) => return found("organization", listed),
            Ok(None) => {}
            Err(e) => errors.push(context.explain(
                &e,
                "list the organization secrets shared with the repository",
            )),
        }
    }
    match errors.into_iter().next() {
        Some(reason) => Lookup::Unknown(reason),
        None => Lookup::Missing { environment_absent },
    }
}

fn found(scope: &'static str, listed: ListedSecret) -> Lookup {
    Lookup::Found { scope, listed }
}

fn literal_environment(reference: &SecretReference) -> Option<&str> {
    reference
        .environment
        .as_deref()
        .filter(|e| !e.contains("${{"))
}

/// The listed secret of that name, if any; GitHub compares secret names without case.
async fn find(
    context: &Context<'_>,
    path: &str,
    name: &str,
) -> Result<Option<ListedSecret>, ApiError> {
    let listed: Vec<ListedSecret> = context.client.get_all(path, "secrets").await?;
    Ok(listed
        .into_iter()
        .find(|secret| secret.name.eq_ignore_ascii_case(name)))
}

fn evidence_for(reference: &SecretReference, lookup: &Lookup) -> SecretEvidence {
    let (scope, listed) = match lookup {
        Lookup::Found { scope, listed } => (Some(scope.to_string()), Some(listed)),
        _ => (None, None),
    };
    SecretEvidence {
        name: reference.name.clone(),
        scope,
        environment: reference.environment.clone(),
        found: listed.is_some(),
        created_at: listed.and_then(|l| l.created_at.clone()),
        updated_at: listed.and_then(|l| l.updated_at.clone()),
    }
}

fn missing(
    context: &Context<'_>,
    reference: &SecretReference,
    environment_absent: bool,
) -> Finding {
    let name = &reference.name;
    let repository = context.target.repository.text();
    let environment = match (&reference.environment, environment_absent) {
        (Some(environment), true) => {
            format!(", and environment `{environment}` does not exist")
        }
        (Some(environment), false) => format!(", nor in environment `{environment}`"),
        (None, _) => String::new(),
    };
    let message = match reference.environment_only {
        true => format!(
            "secret `{name}` reaches this reusable workflow only from its job's environment, \
             because the caller passes no secrets, and it is not there{environment}; the \
             notifier gets an empty value and the alert posts nowhere"
        ),
        false => format!(
            "secret `{name}` does not exist: GitHub lists no repository secret of {repository} \
             and no organization secret shared with it by that name{environment}, so the \
             notifier gets an empty value and the alert posts nowhere. Create it, e.g. \
             `gh secret set {name} --repo {repository}`"
        ),
    };
    Finding::new(
        "secret-missing",
        Severity::Error,
        message,
        reference.location.clone(),
    )
}
