// Package safefile opens the files a privileged daemon trusts (its
// history database, its configuration, its token) so that another user
// cannot choose what it reads or writes.
//
// The rules, checked on the opened descriptor so that nothing can be
// swapped between the check and the use:
//
//   - the last path component is not a symbolic link (O_NOFOLLOW): a link
//     planted in a shared directory would send a root daemon's writes to
//     a file of the planter's choice;
//   - it is a regular file, owned by the daemon's effective user, and
//     not writable by its group or by others: a file pre-created by
//     another user would let that user read the history and truncate it
//     under the daemon;
//   - a secret (a token, or a configuration holding one) is not readable
//     by others either;
//   - a file that does not exist is created with O_CREAT|O_EXCL|O_NOFOLLOW
//     and mode 0600, so creating never follows a link or adopts a file
//     someone else made in between.
//
// Directories are checked from the root down: every one is owned by
// root or the daemon's user and is not writable by others, unless it is
// sticky (like /tmp), where others may add entries but not rename or
// remove the daemon's.
//
// Files the daemon writes for people to read (the course's graphs) are
// written whole by WriteFile: a new file made with O_EXCL, renamed over
// the old one, so that a link planted in their place is replaced and
// never written through.
package safefile
