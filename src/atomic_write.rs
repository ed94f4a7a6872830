//! Writing a file so that whoever reads it, at any moment, finds either its old content or
//! the complete new one, never a half-written file: the text goes to a temporary file in
//! the same folder, is flushed to disk, and then takes the file's name in one rename.
//! Every file alertlint writes goes through [`write_atomically`]; what to write is decided
//! by the caller.
//!
//! A run killed between writing and renaming leaves its temporary file behind, hidden and
//! named `.NAME.XXXXXX.tmp` beside the output; it is never read again and can be deleted.
//! A symlink at the output path is replaced by the new file rather than written through,
//! so an output path planted as a link in a checked-out repository cannot redirect the
//! write.

use std::io::Write;
use std::path::Path;

/// Replaces `path` with `contents` in one step, keeping the permissions of the file it
/// replaces; a new file gets the same permissions a plain write would give it.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let Some(name) = path.file_name() else {
        let message = "the path names a folder, not a file";
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            message,
        ));
    };
    let replaced = std::fs::symlink_metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_file);

    let prefix = format!(".{}.", name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // What `std::fs::write` would create: read and write for everyone, less the umask.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temporary = builder.tempfile_in(folder)?;
    temporary.write_all(contents)?;
    if let Some(replaced) = replaced {
        temporary
            .as_file()
            .set_permissions(replaced.permissions())?;
    }
    temporary.as_file().sync_all()?;

    crate::debug_hooks::pause_before_rename();
    temporary.persist(path).map_err(|e| e.error)?;
    sync_folder(folder);
    Ok(())
}

/// Makes the rename itself survive a crash. The file is complete either way, so a folder
/// that cannot be synced (some file systems refuse) is not an error.
fn sync_folder(folder: &Path) {
    if let Err(e) = std::fs::File::open(folder).and_then(|f| f.sync_all()) {
        tracing::debug!(folder = %folder.display(), error = %e, "could not sync the folder");
    }
}
