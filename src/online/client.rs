//! The one GitHub REST client the online checks share. It asks each URL once per run,
//! follows `Link: rel="next"` pages only while they can be trusted, retries transient
//! failures a bounded number of times with jitter, sends nothing more once the API has
//! given no answer, respects the rate limits GitHub announces, and logs every request
//! (method, path, status, duration) at `-v`. Every message it produces has been through
//! [`redact`], so the token cannot leak through an error. What the answers mean is for the
//! check modules to decide.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use octocrab::Octocrab;
use octocrab::secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

/// Attempts per URL: the first, and two retries after a server error or no answer.
const MAX_ATTEMPTS: u32 = 3;
/// Pages read from one list at most: 10,000 items, ten times the 1,000 secrets GitHub lets
/// an organization hold, and far more workflows than a repository has. A server that
/// links on past them is not to be believed.
const MAX_PAGES: usize = 100;
/// The first pause before a retry; it doubles each time, plus up to as much jitter.
const RETRY_BASE: Duration = Duration::from_millis(250);
/// Longest wait for a connection, unless the whole request is allowed less.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// GitHub asks for at least a minute's pause after a secondary rate limit without headers.
const SECONDARY_LIMIT_PAUSE: Duration = Duration::from_secs(60);

/// Why a request got no usable answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// GitHub answered with an error status.
    Status {
        path: String,
        status: u16,
        message: String,
    },
    /// The rate limit is spent until later than we are willing to wait.
    RateLimited { path: String, wait: Duration },
    /// The rate limit refused every attempt, although each pause it asked for was waited.
    StillRateLimited { path: String },
    /// No answer: connection refused, TLS, or a timeout.
    Transport { path: String, message: String },
    /// Not sent, because an earlier request to the same API got no answer at all.
    Unreachable {
        path: String,
        earlier: Box<ApiError>,
    },
    /// An answer that is not what the documented shape promises.
    Malformed { path: String, message: String },
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// One sentence for a user: what was asked, and what came back.
    pub fn describe(&self) -> String {
        match self {
            Self::Status {
                path,
                status,
                message,
            } => format!("GET {path} answered {status} \"{message}\""),
            Self::RateLimited { path, wait } => format!(
                "GET {path} was refused by GitHub's rate limit, which resets in {}; \
                 run again later, or allow a longer wait with --rate-limit-wait",
                minutes(*wait)
            ),
            Self::StillRateLimited { path } => format!(
                "GET {path} was refused by GitHub's rate limit on each of {MAX_ATTEMPTS} \
                 attempts, waiting as long as it asked between them; run again later"
            ),
            Self::Transport { path, message } => format!(
                "GET {path} got no answer after {MAX_ATTEMPTS} attempts: {message}. Check \
                 that --api-url is right and reachable from here"
            ),
            Self::Unreachable { path, earlier } => {
                format!("GET {path} was not sent, because {}", earlier.describe())
            }
            Self::Malformed { path, message } => {
                format!("GET {path} answered with something alertlint cannot read: {message}")
            }
        }
    }
}

/// Where to send requests, with what token, how long a rate limit may hold us up, and
/// how long one request may take, connection and body included.
pub struct ClientSettings {
    pub api_url: String,
    pub token: SecretString,
    pub max_wait: Duration,
    pub request_timeout: Duration,
}

/// A successful answer, as kept in the per-run cache.
#[derive(Clone)]
struct Answer {
    body: String,
    /// The `Link: rel="next"` target, as the server wrote it.
    next: Option<String>,
}

pub struct GitHub {
    octocrab: Octocrab,
    token: SecretString,
    /// `scheme://host[:port]` of the API, to tell our own page links from anyone else's.
    origin: String,
    /// The path the API lives under (`/api/v3` on GitHub Enterprise Server), or empty.
    base_path: String,
    max_wait: Duration,
    request_timeout: Duration,
    cache: RefCell<HashMap<String, Result<Answer, ApiError>>>,
    /// The first request that got no answer at all; once there is one, no more are sent.
    unreachable: RefCell<Option<ApiError>>,
    requests: Cell<usize>,
    /// When the primary rate limit resets, once GitHub said it is spent.
    exhausted_until: Cell<Option<SystemTime>>,
}

impl GitHub {
    pub fn new(settings: ClientSettings) -> Result<Self, String> {
        let uri: http::Uri = settings
            .api_url
            .parse()
            .map_err(|_| format!("`{}` is not a URL", settings.api_url))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(format!(
                "`{}` is not an absolute http(s) URL",
                settings.api_url
            ));
        };
        let origin = format!("{scheme}://{authority}");
        let base_path = uri.path().trim_end_matches('/').to_string();
        let octocrab = Octocrab::builder()
            .base_uri(settings.api_url.as_str())
            .map_err(|e| redact(&e.to_string(), &settings.token))?
            .personal_token(settings.token.clone())
            .add_header(
                http::header::ACCEPT,
                "application/vnd.github+json".to_string(),
            )
            .add_header(
                http::HeaderName::from_static("x-github-api-version"),
                "2022-11-28".to_string(),
            )
            .set_connect_timeout(Some(CONNECT_TIMEOUT.min(settings.request_timeout)))
            .set_read_timeout(Some(settings.request_timeout))
            .build()
            .map_err(|e| redact(&e.to_string(), &settings.token))?;
        Ok(Self {
            octocrab,
            token: settings.token,
            origin,
            base_path,
            max_wait: settings.max_wait,
            request_timeout: settings.request_timeout,
            cache: RefCell::new(HashMap::new()),
            unreachable: RefCell::new(None),
            requests: Cell::new(0),
            exhausted_until: Cell::new(None),
        })
    }

    /// How many HTTP requests this run has sent, retries included.
    pub fn requests(&self) -> usize {
        self.requests.get()
    }

    /// One resource, such as `/repos/o/r/contents/x.yml?ref=v1`, read into `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let answer = self.fetch(path).await?;
        parse(path, &answer.body)
    }

    /// Every item of a paged list, such as `/repos/o/r/actions/secrets`: the items under
    /// `field` of each page, following `Link: rel="next"` until there is none. A link
    /// that cannot be followed is an error, never the end of the list: judging part of
    /// a list could find a secret missing, or a workflow unknown, that is not.
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        field: &str,
    ) -> Result<Vec<T>, ApiError> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut next = Some(format!("{path}{separator}per_page=100"));
        let mut read = HashSet::new();
        let mut items = Vec::new();
        while let Some(page) = next.take() {
            let answer = self.fetch(&page).await?;
            items.extend(list_items(&page, &answer.body, field)?);
            read.insert(page.clone());
            next = self.next_page(&page, answer.next.as_deref(), &read)?;
        }
        Ok(items)
    }

    /// The page a list goes on to after `page`, when its link can be trusted: on our
    /// own API, not read before, and within [`MAX_PAGES`].
    fn next_page(
        &self,
        page: &str,
        link: Option<&str>,
        read: &HashSet<String>,
    ) -> Result<Option<String>, ApiError> {
        let Some(link) = link else {
            return Ok(None);
        };
        let Some(next) = self.own_path(link) else {
            return Err(unfollowed(
                page,
                &format!("leads to {link}, outside --api-url, where the token is not sent"),
            ));
        };
        if read.contains(&next) {
            return Err(unfollowed(
                page,
                &format!("leads back to {next}, a page already read, so the pages loop"),
            ));
        }
        if read.len() >= MAX_PAGES {
            return Err(unfollowed(
                page,
                &format!("leads on past {MAX_PAGES} pages"),
            ));
        }
        tracing::debug!(page, next, "following the list to its next page");
        Ok(Some(next))
    }

    /// The answer for one path, from the cache when this run already asked for it.
    async fn fetch(&self, path: &str) -> Result<Answer, ApiError> {
        if let Some(cached) = self.cache.borrow().get(path) {
            tracing::debug!(path, "answered from this run's cache");
            return cached.clone();
        }
        if let Some(earlier) = self.unreachable.borrow().clone() {
            // An API that let every attempt time out would cost each later request as
            // long again, so the run would take minutes to learn nothing new.
            return Err(ApiError::Unreachable {
                path: path.to_string(),
                earlier: Box::new(earlier),
            });
        }
        let answer = self.fetch_with_retries(path).await;
        if let Err(error @ ApiError::Transport { .. }) = &answer {
            self.unreachable.replace(Some(error.clone()));
        }
        self.cache
            .borrow_mut()
            .insert(path.to_string(), answer.clone());
        answer
    }

    async fn fetch_with_retries(&self, path: &str) -> Result<Answer, ApiError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.wait_for_rate_limit(path).await?;
            let outcome = self.send(path).await;
            let retry_after = match outcome {
                Sent::Answer(answer) => return Ok(answer),
                Sent::Final(error) => return Err(error),
                Sent::RateLimited(wait) if wait <= self.max_wait && attempt < MAX_ATTEMPTS => wait,
                Sent::RateLimited(wait) if wait <= self.max_wait => {
                    return Err(ApiError::StillRateLimited {
                        path: path.to_string(),
                    });
                }
                Sent::RateLimited(wait) => {
                    return Err(ApiError::RateLimited {
                        path: path.to_string(),
                        wait,
                    });
                }
                Sent::Transient(error) if attempt < MAX_ATTEMPTS => {
                    let pause = backoff(attempt);
                    tracing::warn!(
                        "{}; trying again in {} ms",
                        error.describe(),
                        pause.as_millis()
                    );
                    pause
                }
                Sent::Transient(error) => return Err(error),
            };
            tokio::time::sleep(retry_after).await;
        }
    }

    /// Waits out a spent primary rate limit, or gives up when the reset is too far off.
    async fn wait_for_rate_limit(&self, path: &str) -> Result<(), ApiError> {
        let Some(until) = self.exhausted_until.get() else {
            return Ok(());
        };
        let wait = until
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        if wait > self.max_wait {
            return Err(ApiError::RateLimited {
                path: path.to_string(),
                wait,
            });
        }
        tracing::warn!(
            "GitHub's rate limit is spent; waiting {} s for it to reset",
            wait.as_secs()
        );
        tokio::time::sleep(wait).await;
        self.exhausted_until.set(None);
        Ok(())
    }

    /// Sends one request and sorts the answer into what to do next.
    async fn send(&self, path: &str) -> Sent {
        let started = Instant::now();
        let uri = format!("{}{}", self.base_path, path);
        self.requests.set(self.requests.get() + 1);
        let exchange = async {
            let response = self
                .octocrab
                ._get(uri.as_str())
                .await
                .map_err(|e| causes(&e))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = read_bounded_body(response.into_body()).await?;
            Ok::<_, String>((status, headers, body))
        };
        let (status, headers, body) =
            match tokio::time::timeout(self.request_timeout, exchange).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(e)) => return Sent::Transient(self.transport_error(path, &e)),
                Err(_) => {
                    let waited = format!(
                        "no complete answer within {} s (--request-timeout)",
                        self.request_timeout.as_secs()
                    );
                    return Sent::Transient(self.transport_error(path, &waited));
                }
            };
        tracing::info!(
            "GET {path} -> {status} ({} ms)",
            started.elapsed().as_millis()
        );
        self.note_rate_limit(&headers);
        self.sort_answer(path, status, &headers, body)
    }

    fn sort_answer(&self, path: &str, status: u16, headers: &HeaderMap, body: String) -> Sent {
        if (200..300).contains(&status) {
            let next = next_link(headers);
            return Sent::Answer(Answer { body, next });
        }
        let message = redact(&error_message(&body, status), &self.token);
        if let Some(wait) = rate_limit_wait(status, headers, &message) {
            return Sent::RateLimited(wait);
        }
        let error = ApiError::Status {
            path: path.to_string(),
            status,
            message,
        };
        match status {
            500..=599 => Sent::Transient(error),
            _ => Sent::Final(error),
        }
    }

    fn transport_error(&self, path: &str, message: &str) -> ApiError {
        let first_line = message.lines().next().unwrap_or(message);
        ApiError::Transport {
            path: path.to_string(),
            message: redact(first_line, &self.token),
        }
    }

    /// Remembers a spent primary rate limit, so that no request is sent before it resets.
    fn note_rate_limit(&self, headers: &HeaderMap) {
        if header(headers, "x-ratelimit-remaining").as_deref() != Some("0") {
            return;
        }
        let reset = header(headers, "x-ratelimit-reset").and_then(|r| r.parse::<u64>().ok());
        if let Some(reset) = reset {
            self.exhausted_until
                .set(Some(UNIX_EPOCH + Duration::from_secs(reset)));
        }
    }

    /// The path and query of a page link, when it points at our own API; a link to any
    /// other host is not followed.
    fn own_path(&self, link: &str) -> Option<String> {
        let rest = link.strip_prefix(&self.origin)?;
        let rest = rest.strip_prefix(&self.base_path).unwrap_or(rest);
        rest.starts_with('/').then(|| rest.to_string())
    }
}

/// What one request came to.
enum Sent {
    Answer(Answer),
    /// Worth trying again: a server error or no answer at all.
    Transient(ApiError),
    RateLimited(Duration),
    Final(ApiError),
}

/// Replaces every occurrence of the token with a marker. Applied to each message that
/// comes from the HTTP client or from the server, before it can reach a log or a report.
pub fn redact(text: &str, token: &SecretString) -> String {
    let secret = token.expose_secret();
    if secret.is_empty() {
        return text.to_string();
    }
    text.replace(secret, "[redacted]")
}

/// The items under `field` of one page of a list.
fn list_items<T: DeserializeOwned>(
    page: &str,
    body: &str,
    field: &str,
) -> Result<Vec<T>, ApiError> {
    let mut document: serde_json::Value = parse(page, body)?;
    let Some(list) = document.get_mut(field).map(serde_json::Value::take) else {
        return Err(ApiError::Malformed {
            path: page.to_string(),
            message: format!("no `{field}` list in the answer"),
        });
    };
    serde_json::from_value(list).map_err(|e| ApiError::Malformed {
        path: page.to_string(),
        message: format!("`{field}`: {e}"),
    })
}

/// A list whose `Link: rel="next"` header cannot be followed, for `why`.
fn unfollowed(page: &str, why: &str) -> ApiError {
    ApiError::Malformed {
        path: page.to_string(),
        message: format!(
            "its `Link` header {why}; alertlint judges no part of a list. GitHub's own \
             pages never do this: check --api-url, and any proxy in between"
        ),
    }
}

fn parse<T: DeserializeOwned>(path: &str, body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::Malformed {
        path: path.to_string(),
        message: e.to_string(),
    })
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

/// GitHub's `message`, or the status's reason when the body has none.
fn error_message(body: &str, status: u16) -> String {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        });
    message.unwrap_or_else(|| {
        http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error")
            .to_string()
    })
}

/// How long GitHub asks us to wait, when an error is a rate limit: `retry-after` first,
/// then the primary limit's reset, then a minute for a secondary limit.
fn rate_limit_wait(status: u16, headers: &HeaderMap, message: &str) -> Option<Duration> {
    if status != 403 && status != 429 {
        return None;
    }
    if let Some(seconds) = header(headers, "retry-after").and_then(|s| s.parse::<u64>().ok()) {
        return Some(Duration::from_secs(seconds));
    }
    if header(headers, "x-ratelimit-remaining").as_deref() == Some("0") {
        let reset = header(headers, "x-ratelimit-reset").and_then(|r| r.parse::<u64>().ok())?;
        let until = UNIX_EPOCH + Duration::from_secs(reset);
        return Some(
            until
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        );
    }
    let secondary = status == 429 || message.to_ascii_lowercase().contains("rate limit");
    secondary.then_some(SECONDARY_LIMIT_PAUSE)
}

/// The `rel="next"` target of a `Link` header.
fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = header(headers, "link")?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_string())
    })
}

/// A wait in whole minutes, rounded up.
fn minutes(wait: Duration) -> String {
    match wait.as_secs().div_ceil(60) {
        1 => "1 minute".to_string(),
        n => format!("{n} minutes"),
    }
}

/// An error and the causes beneath it, each said once: HTTP libraries wrap what a user
/// can act on (a refused connection, a certificate) several layers down.
/// The most of one answer alertlint reads: GitHub's pages of 100 items are far smaller, so
/// a larger body is a broken or hostile server, not evidence.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

async fn read_bounded_body<B>(body: B) -> Result<String, String>
where
    B: http_body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    use http_body_util::BodyExt;
    let limited = http_body_util::Limited::new(body, MAX_BODY_BYTES);
    match limited.collect().await {
        Ok(collected) => Ok(String::from_utf8_lossy(&collected.to_bytes()).into_owned()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(format!(
            "the answer is larger than {} MiB, more than any GitHub page, so it was not read",
            MAX_BODY_BYTES / (1024 * 1024)
        )),
        Err(e) => Err(causes(e.as_ref())),
    }
}

fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = match is_tls(cause) {
            true => format!("TLS error: {cause}"),
            false => cause.to_string(),
        };
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

/// Whether an error is TLS failing. The connector wraps rustls's error in I/O errors,
/// whose `source()` skips it, so they are opened one by one.
fn is_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<rustls::Error>() {
            return true;
        }
        current = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .map(|inner| inner as &(dyn std::error::Error + 'static));
    }
    false
}

fn backoff(attempt: u32) -> Duration {
    let base = RETRY_BASE * 2u32.pow(attempt.saturating_sub(1));
    base + base.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn next_link_is_read_among_other_relations() {
        let link = r#"<https://api.github.com/repositories/1/actions/secrets?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/actions/secrets?per_page=100&page=3>; rel="last""#;
        assert_eq!(
            next_link(&headers(&[("link", link)])).as_deref(),
            Some("https://api.github.com/repositories/1/actions/secrets?per_page=100&page=2")
        );
        let last_page = r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#;
        assert_eq!(next_link(&headers(&[("link", last_page)])), None);
    }

    #[test]
    fn rate_limit_prefers_retry_after_and_ignores_plain_forbidden() {
        let wait = rate_limit_wait(403, &headers(&[("retry-after", "7")]), "x");
        assert_eq!(wait, Some(Duration::from_secs(7)));
        let forbidden = rate_limit_wait(
            403,
            &headers(&[("x-ratelimit-remaining", "4999")]),
            "Resource not accessible by integration",
        );
        assert_eq!(forbidden, None);
        let secondary = rate_limit_wait(
            403,
            &HeaderMap::new(),
            "You have exceeded a secondary rate limit",
        );
        assert_eq!(secondary, Some(SECONDARY_LIMIT_PAUSE));
    }

    #[test]
    fn rate_limit_resets_are_told_in_whole_minutes_rounded_up() {
        assert_eq!(minutes(Duration::from_secs(1)), "1 minute");
        assert_eq!(minutes(Duration::from_secs(60)), "1 minute");
        assert_eq!(minutes(Duration::from_secs(61)), "2 minutes");
    }

    #[test]
    fn redact_removes_every_copy_of_the_token() {
        let token = SecretString::from("ghp_canary123");
        assert_eq!(
            redact("bad ghp_canary123 and ghp_canary123", &token),
            "bad [redacted] and [redacted]"
        );
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 1..MAX_ATTEMPTS {
            let pause = backoff(attempt);
            let base = RETRY_BASE * 2u32.pow(attempt - 1);
            assert!(pause >= base && pause <= base * 2, "{pause:?}");
        }
    }
}
