//! Where a repository's files come from: a folder on disk, read only inside its root, or
//! files held in memory for tests and fuzzing. The loader asks both the same questions,
//! so that a repository in memory is judged exactly as the same files on disk. Parsing
//! and placing routes in a file live in `source.rs`, not here.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use super::source::{LoadError, LoadErrorKind, describe_io, text_from_bytes};

/// The questions the loader asks of a repository's files, by paths relative to its root.
pub(super) trait FileTree {
    /// The `.yml` and `.yaml` files directly in `.github/workflows`, sorted.
    fn workflow_paths(&self) -> Vec<String>;

    /// Whether the path stays inside the root and names something there; the reason
    /// when it does not.
    fn resolve(&self, relative: &str) -> Result<(), String>;

    /// Whether the path leads outside the root: by `..`, as an absolute path, or through a
    /// symlink. A path that merely names nothing does not.
    fn leaves_root(&self, relative: &str) -> bool;

    fn is_file(&self, relative: &str) -> bool;

    /// The file's text, refusing files outside the root, over `max_bytes` or not UTF-8.
    fn read(&self, relative: &str, max_bytes: u64) -> Result<String, LoadError>;
}

/// A repository on disk, under a root that has already been canonicalised.
pub(super) struct DiskTree<'a> {
    pub root: &'a Path,
}

impl FileTree for DiskTree<'_> {
    fn workflow_paths(&self) -> Vec<String> {
        let dir = self.root.join(".github").join("workflows");
        let mut paths: Vec<String> = walkdir::WalkDir::new(&dir)
            .min_depth(1)
            .max_depth(1)
            .follow_links(false)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|entry| !entry.file_type().is_dir())
            .filter_map(|entry| entry.file_name().to_str().map(str::to_string))
            .filter(|name| name.ends_with(".yml") || name.ends_with(".yaml"))
            .map(|name| format!(".github/workflows/{name}"))
            .collect();
        paths.sort();
        paths
    }

    fn resolve(&self, relative: &str) -> Result<(), String> {
        contained_path(self.root, relative).map(|_| ())
    }

    fn leaves_root(&self, relative: &str) -> bool {
        normalise(relative).is_err()
            || self
                .root
                .join(relative)
                .canonicalize()
                .is_ok_and(|real| !real.starts_with(self.root))
    }

    fn is_file(&self, relative: &str) -> bool {
        contained_path(self.root, relative).is_ok_and(|real| real.is_file())
    }

    fn read(&self, relative: &str, max_bytes: u64) -> Result<String, LoadError> {
        let real = contained_path(self.root, relative)
            .map_err(|reason| LoadError::new(LoadErrorKind::Unreadable, reason))?;
        read_bounded(&real, max_bytes)
    }
}

/// Files held in memory, by their path relative to the root (`.github/workflows/x.yml`).
pub(super) struct MemoryTree {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemoryTree {
    pub fn new(files: BTreeMap<String, Vec<u8>>) -> Self {
        let files = files
            .into_iter()
            .filter_map(|(path, bytes)| normalise(&path).ok().map(|path| (path, bytes)))
            .collect();
        Self { files }
    }
}

impl FileTree for MemoryTree {
    fn workflow_paths(&self) -> Vec<String> {
        self.files
            .keys()
            .filter(|path| {
                path.strip_prefix(".github/workflows/").is_some_and(|name| {
                    !name.contains('/') && (name.ends_with(".yml") || name.ends_with(".yaml"))
                })
            })
            .cloned()
            .collect()
    }

    fn resolve(&self, relative: &str) -> Result<(), String> {
        let path = normalise(relative)?;
        let folder = format!("{path}/");
        let exists = path.is_empty()
            || self.files.contains_key(&path)
            || self.files.keys().any(|key| key.starts_with(&folder));
        match exists {
            true => Ok(()),
            false => Err("cannot be read: no such file".to_string()),
        }
    }

    fn leaves_root(&self, relative: &str) -> bool {
        normalise(relative).is_err()
    }

    fn is_file(&self, relative: &str) -> bool {
        normalise(relative).is_ok_and(|path| self.files.contains_key(&path))
    }

    fn read(&self, relative: &str, max_bytes: u64) -> Result<String, LoadError> {
        let path = normalise(relative)
            .map_err(|reason| LoadError::new(LoadErrorKind::Unreadable, reason))?;
        match self.files.get(&path) {
            Some(bytes) => text_from_bytes(bytes.clone(), max_bytes),
            None => Err(LoadError::new(LoadErrorKind::Unreadable, "no such file")),
        }
    }
}

/// Resolves a path relative to a canonical `root`, refusing anything that leaves it: `..`
/// past the root, absolute paths, and symlinks that point outside (or loop).
pub fn contained_path(root: &Path, relative: &str) -> Result<PathBuf, String> {
    normalise(relative)?;
    let joined = root.join(relative);
    match joined.canonicalize() {
        Ok(real) if real.starts_with(root) => Ok(real),
        Ok(_) => Err("the path leads outside the scanned repository through a symlink".to_string()),
        Err(e) => Err(format!("cannot be read: {}", describe_io(&e))),
    }
}

/// The path with `.` and `..` worked out, as `a/b/c`; refused when it is absolute or
/// climbs above the root, whether or not anything exists there.
pub(super) fn normalise(relative: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(relative).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().unwrap_or("\u{fffd}")),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err("the path leaves the scanned repository".to_string());
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err("absolute paths are refused".to_string());
            }
        }
    }
    Ok(parts.join("/"))
}

/// Reads a regular file, stopping after `max_bytes`: the size is checked before reading
/// and again while reading, so a file that grows in between is still refused.
pub fn read_bounded(path: &Path, max_bytes: u64) -> Result<String, LoadError> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| {
        let message = format!("cannot be read: {}", describe_io(&e));
        LoadError::new(LoadErrorKind::Unreadable, message)
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        let message = "cannot be read: not a regular file";
        return Err(LoadError::new(LoadErrorKind::Unreadable, message));
    }
    if meta.len() > max_bytes {
        return Err(super::source::too_large(meta.len(), max_bytes));
    }
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    text_from_bytes(bytes, max_bytes)
}
