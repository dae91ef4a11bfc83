//! The data folder, where the bot keeps its votes, gaps and heartbeat: whether it can
//! write there, looked at without writing anything.

use std::io;
use std::path::Path;

/// Whether the bot can keep its votes, gaps and heartbeat in `dir`, looked at without
/// writing anything (a folder not there yet: whether it can be made).
pub(super) fn data_dir_writable(dir: &Path) -> std::result::Result<String, String> {
    let shown = crate::error::located(dir);
    if dir.is_file() {
        return Err(format!(
            "data_dir {shown} is a file, not a folder: set data_dir to a folder"
        ));
    }
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let Some(existing) = absolute.ancestors().find(|path| path.is_dir()) else {
        return Err(format!("data_dir {shown}: no folder above it exists"));
    };
    let made = if existing == absolute {
        ""
    } else {
        ", made when the bot starts"
    };
    match writable(existing) {
        Ok(()) => Ok(format!("{shown}: writable{made}")),
        Err(e) => Err(format!(
            "data_dir {shown}: {} cannot be written to ({e}{}); votes, gaps and the health check need it",
            existing.display(),
            crate::error::permission_fix(&e, "write to")
        )),
    }
}

/// Whether this process may write in the folder `dir` (access(2), nothing written).
fn writable(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(io::Error::other)?;
        // SAFETY: `path` is a NUL-terminated string; access only reads it.
        if unsafe { libc::access(path.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
