//! What the online checks talk to, and with which token: the repository (from `--repo`,
//! `GITHUB_REPOSITORY`, or the `origin` remote of the scanned clone), the API base (from
//! `--api-url`, `GITHUB_API_URL`, or github.com) and the token (from `--token-env NAME`, or
//! `GH_TOKEN`, then `GITHUB_TOKEN`). Nothing here sends a request; the token is held as a
//! secret and never shown.

use std::path::Path;
use std::process::Command;

use octocrab::secrecy::{ExposeSecret, SecretString};

pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// What the command line says about going online.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub offline: bool,
    pub token_env: Option<String>,
    pub repository: Option<String>,
    pub api_url: Option<String>,
    /// Longest wait, in seconds, for a rate limit to reset before a check gives up.
    pub rate_limit_wait: u64,
    /// Longest time, in seconds, one request may take before it counts as unanswered.
    pub request_timeout: u64,
}

/// A repository on GitHub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slug {
    pub owner: String,
    pub name: String,
}

impl Slug {
    /// Parses `owner/name`, refusing anything that could leave the repository's URL space.
    pub fn parse(text: &str) -> Option<Self> {
        let (owner, name) = text.trim().split_once('/')?;
        let name = name.strip_suffix(".git").unwrap_or(name);
        let valid = |part: &str| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        (valid(owner) && valid(name)).then(|| Self {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }

    pub fn text(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// Everything needed to ask GitHub.
pub struct Target {
    pub repository: Slug,
    pub api_url: String,
    pub token: SecretString,
    /// Where the token came from, e.g. `GH_TOKEN`, for messages.
    pub token_source: String,
}

/// Whether the online checks can run, and if not, why not.
pub enum Readiness {
    /// `--offline` was given.
    Offline,
    Ready(Target),
    /// They cannot run; the reason says what to do.
    Unable(String),
}

/// Decides whether and where the online checks run. `env` reads an environment variable.
/// A malformed `--repo` or `--api-url` is the user's argument error, returned as `Err`.
pub fn resolve(
    options: &Options,
    env: &dyn Fn(&str) -> Option<String>,
    root: &Path,
) -> Result<Readiness, String> {
    let explicit_repository = match &options.repository {
        Some(text) => Some(
            Slug::parse(text)
                .ok_or_else(|| format!("--repo `{text}` is not of the form OWNER/NAME"))?,
        ),
        None => None,
    };
    let api_url = api_url(options, env)?;
    if options.offline {
        return Ok(Readiness::Offline);
    }
    let (token, token_source) = match token(options, env) {
        Ok(found) => found,
        Err(reason) => return Ok(Readiness::Unable(reason)),
    };
    let repository = match explicit_repository.or_else(|| repository_from(env, root)) {
        Some(repository) => repository,
        None => {
            return Ok(Readiness::Unable(
                "alertlint cannot tell which GitHub repository this is: pass --repo OWNER/NAME, \
                 set GITHUB_REPOSITORY, or scan a clone whose `origin` remote is on GitHub"
                    .to_string(),
            ));
        }
    };
    Ok(Readiness::Ready(Target {
        repository,
        api_url,
        token,
        token_source,
    }))
}

fn api_url(options: &Options, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let (url, from) = match (&options.api_url, env("GITHUB_API_URL")) {
        (Some(url), _) => (url.clone(), "--api-url"),
        (None, Some(url)) if !url.trim().is_empty() => (url, "GITHUB_API_URL"),
        _ => return Ok(DEFAULT_API_URL.to_string()),
    };
    let url = url.trim().trim_end_matches('/').to_string();
    let parsed: Result<http::Uri, _> = url.parse();
    match parsed {
        Ok(uri)
            if matches!(uri.scheme_str(), Some("http" | "https")) && uri.authority().is_some() =>
        {
            Ok(url)
        }
        _ => Err(format!(
            "{from} `{url}` is not an http(s) URL such as {DEFAULT_API_URL} or \
             https://HOST/api/v3"
        )),
    }
}

/// The token, and the variable it came from. An explicit `--token-env` is the only place
/// looked at; otherwise `GH_TOKEN`, then `GITHUB_TOKEN`.
fn token(
    options: &Options,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(SecretString, String), String> {
    let names: Vec<String> = match &options.token_env {
        Some(name) => vec![name.clone()],
        None => vec!["GH_TOKEN".to_string(), "GITHUB_TOKEN".to_string()],
    };
    let found = names.iter().find_map(|name| {
        let value = env(name).map(|v| v.trim().to_string())?;
        (!value.is_empty()).then(|| (SecretString::from(value), name.clone()))
    });
    let Some((token, source)) = found else {
        return Err(format!(
            "no GitHub token: {} {} not set. Set GH_TOKEN to a token with Secrets, \
             Environments, Actions and Metadata read (see the README's Online checks), \
             or pass --offline to judge the files alone",
            names.join(" and "),
            if names.len() == 1 { "is" } else { "are" }
        ));
    };
    let printable = token.expose_secret().chars().all(|c| c.is_ascii_graphic());
    if !printable {
        return Err(format!(
            "the token in {source} contains spaces or characters no GitHub token has; \
             check how it was set"
        ));
    }
    Ok((token, source))
}

fn repository_from(env: &dyn Fn(&str) -> Option<String>, root: &Path) -> Option<Slug> {
    if let Some(slug) = env("GITHUB_REPOSITORY").and_then(|text| Slug::parse(&text)) {
        return Some(slug);
    }
    let remote = origin_url(root)?;
    let slug = slug_from_remote(&remote);
    tracing::debug!(
        found = slug.is_some(),
        "read the repository from git remote origin"
    );
    slug
}

/// `git remote get-url origin`, run in the scanned folder; it reads local config only.
fn origin_url(root: &Path) -> Option<String> {
    let output = Command::new("git")
        .args(["remote", "get-url", "origin"])
        .current_dir(root)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout)
        .ok()
        .map(|s| s.trim().to_string())
}

/// `owner/name` from the https and ssh forms of a remote URL:
/// `https://github.com/o/r.git`, `git@github.com:o/r.git`, `ssh://git@host/o/r`.
pub fn slug_from_remote(remote: &str) -> Option<Slug> {
    let remote = remote.trim().trim_end_matches('/');
    let path = if let Some((_, rest)) = remote.split_once("://") {
        rest.split_once('/')?.1
    } else {
        remote.split_once(':')?.1
    };
    let mut parts = path.rsplitn(3, '/');
    let name = parts.next()?;
    let owner = parts.next()?;
    Slug::parse(&format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(owner: &str, name: &str) -> Option<Slug> {
        Some(Slug {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }

    #[test]
    fn remote_urls_in_https_and_ssh_forms_name_the_repository() {
        assert_eq!(
            slug_from_remote("https://github.com/acme/billing.git"),
            slug("acme", "billing")
        );
        assert_eq!(
            slug_from_remote("git@github.com:acme/billing.git"),
            slug("acme", "billing")
        );
        assert_eq!(
            slug_from_remote("ssh://git@ghe.example.com:2222/acme/billing"),
            slug("acme", "billing")
        );
        assert_eq!(
            slug_from_remote("https://user@github.com/acme/billing/"),
            slug("acme", "billing")
        );
        assert_eq!(slug_from_remote("/srv/git/billing"), None);
    }

    #[test]
    fn slugs_that_could_leave_the_repository_are_refused() {
        assert_eq!(Slug::parse("acme/../x"), None);
        assert_eq!(Slug::parse("acme/.."), None);
        assert_eq!(Slug::parse("acme"), None);
        assert_eq!(Slug::parse("acme/bil ling"), None);
    }

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn gh_token_comes_before_github_token_and_token_env_replaces_both() {
        let env = env_of(&[
            ("GH_TOKEN", "first"),
            ("GITHUB_TOKEN", "second"),
            ("MINE", "third"),
        ]);
        let (first, source) = token(&Options::default(), &env).unwrap();
        assert_eq!(
            (first.expose_secret(), source.as_str()),
            ("first", "GH_TOKEN")
        );
        let options = Options {
            token_env: Some("MINE".to_string()),
            ..Options::default()
        };
        let (third, _) = token(&options, &env).unwrap();
        assert_eq!(third.expose_secret(), "third");
    }

    #[test]
    fn missing_token_says_where_it_looked_and_what_to_do() {
        let reason = token(&Options::default(), &env_of(&[])).unwrap_err();
        assert!(
            reason.contains("GH_TOKEN and GITHUB_TOKEN are not set"),
            "{reason}"
        );
        assert!(reason.contains("--offline"), "{reason}");
    }

    #[test]
    fn api_url_must_be_an_http_url() {
        let options = Options {
            api_url: Some("ftp://x".to_string()),
            ..Options::default()
        };
        assert!(api_url(&options, &env_of(&[])).is_err());
        let enterprise = env_of(&[("GITHUB_API_URL", "https://ghe.example.com/api/v3/")]);
        assert_eq!(
            api_url(&Options::default(), &enterprise).unwrap(),
            "https://ghe.example.com/api/v3"
        );
    }
}
