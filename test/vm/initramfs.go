package vm

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"time"
)

// File is one file placed into the initramfs.
type File struct {
	// Path is the absolute path in the guest.
	Path string
	// Src is a host file to copy. If empty, Data is used.
	Src string
	// Data is the content when Src is empty.
	Data []byte
	// Mode holds the permission bits (and setuid/setgid/sticky). Zero means
	// the mode of Src, or 0644 for Data. Other file types are rejected.
	Mode fs.FileMode
}

// InitOptions configures the /init script that BuildInitramfs generates.
type InitOptions struct {
	// Command is the program and arguments that /init runs; required.
	// Its stdout and stderr go to the console and its stdin is /dev/null.
	Command []string
	// Env holds extra KEY=VALUE environment entries for Command.
	Env []string
	// Modules are guest paths of .ko files loaded with insmod, in order,
	// before Command. If one fails to load, Command is not run and the
	// failure appears in Result.Modules.
	Modules []string
	// MountCgroup2 mounts the cgroup2 hierarchy on /sys/fs/cgroup.
	MountCgroup2 bool
	// Busybox is the host path of a statically linked busybox;
	// DefaultBusybox if empty.
	Busybox string
}

// guest paths that BuildInitramfs owns.
const (
	guestBusybox = "bin/busybox"
	guestInit    = "init"
)

// baseDirs exist in every initramfs.
var baseDirs = []string{"bin", "sbin", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "root", "run", "etc", "lib/modules"}

// BuildInitramfs writes to w a gzip-compressed newc cpio archive that holds
// busybox (with a symlink for each of its applets), the given files (their
// parent directories are created as needed) and a generated /init that runs
// init.Command (see InitOptions).
//
// It fails if busybox is missing or dynamically linked (wrapping
// ErrBusyboxNotStatic), if a file's Path is relative, repeated or one of
// /init and /bin/busybox, if a source file cannot be read, or on a write
// error. A file whose path is an applet's replaces that applet. The output
// depends only on the inputs. BuildInitramfs is safe for concurrent use.
func BuildInitramfs(w io.Writer, files []File, init InitOptions) error {
	script, err := initScript(init)
	if err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	bb := init.Busybox
	if bb == "" {
		bb = DefaultBusybox
	}
	if err := checkStaticELF(bb); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	applets, err := busyboxApplets(ctx, bb)
	if err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	user, err := userFileNames(files)
	if err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}

	gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	a := &archive{cw: newCPIOWriter(gz), dirs: map[string]bool{}}
	for _, d := range baseDirs {
		if err := a.mkdirAll(d); err != nil {
			return fmt.Errorf("build initramfs: %w", err)
		}
	}
	// The kernel opens /dev/console for init before devtmpfs is mounted.
	if err := a.cw.CharDev("dev/console", 0o600, 5, 1); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	if err := a.hostFile(guestBusybox, bb, 0o755); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	for _, app := range applets {
		if user[app] || app == guestBusybox {
			continue
		}
		if err := a.symlink(app, "/"+guestBusybox); err != nil {
			return fmt.Errorf("build initramfs: %w", err)
		}
	}
	for i, f := range files {
		if err := a.userFile(f); err != nil {
			return fmt.Errorf("build initramfs: file %d: %w", i, err)
		}
	}
	if err := a.data(guestInit, 0o755, []byte(script)); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	if err := a.cw.Close(); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("build initramfs: compress: %w", err)
	}
	return nil
}

// BuildInitramfsFile is BuildInitramfs writing to a new file at dst.
func BuildInitramfsFile(dst string, files []File, init InitOptions) (err error) {
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("build initramfs: %w", cerr)
		}
	}()
	return BuildInitramfs(f, files, init)
}

// userFileNames validates the guest paths of files and returns their
// archive names.
func userFileNames(files []File) (map[string]bool, error) {
	names := make(map[string]bool, len(files))
	for i, f := range files {
		if !path.IsAbs(f.Path) {
			return nil, fmt.Errorf("file %d: guest path %q is not absolute", i, f.Path)
		}
		name, err := cpioName(f.Path)
		if err != nil {
			return nil, fmt.Errorf("file %d: %w", i, err)
		}
		if name == guestInit || name == guestBusybox {
			return nil, fmt.Errorf("file %d: guest path %q is reserved", i, f.Path)
		}
		if names[name] {
			return nil, fmt.Errorf("file %d: guest path %q given twice", i, f.Path)
		}
		if f.Mode&fs.ModeType != 0 {
			return nil, fmt.Errorf("file %d: %q: only regular files are supported, mode %v", i, f.Path, f.Mode)
		}
		names[name] = true
	}
	return names, nil
}

// archive adds entries to a cpio archive, creating parent directories on
// first use.
type archive struct {
	cw   *cpioWriter
	dirs map[string]bool
}

func (a *archive) mkdirAll(dir string) error {
	if dir == "." || dir == "" || a.dirs[dir] {
		return nil
	}
	if err := a.mkdirAll(path.Dir(dir)); err != nil {
		return err
	}
	a.dirs[dir] = true
	perm := fs.FileMode(0o755)
	if dir == "tmp" {
		perm = 0o777 | fs.ModeSticky
	}
	return a.cw.Dir(dir, perm)
}

func (a *archive) symlink(name, target string) error {
	if err := a.mkdirAll(path.Dir(name)); err != nil {
		return err
	}
	return a.cw.Symlink(name, target)
}

func (a *archive) data(name string, perm fs.FileMode, data []byte) error {
	if err := a.mkdirAll(path.Dir(name)); err != nil {
		return err
	}
	return a.cw.File(name, perm, int64(len(data)), bytes.NewReader(data))
}

func (a *archive) hostFile(name, src string, perm fs.FileMode) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("add %s: %w", src, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("add %s: %w", src, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("add %s: not a regular file", src)
	}
	if perm == 0 {
		perm = st.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	}
	if err := a.mkdirAll(path.Dir(name)); err != nil {
		return err
	}
	return a.cw.File(name, perm, st.Size(), f)
}

func (a *archive) userFile(f File) error {
	name, err := cpioName(f.Path)
	if err != nil {
		return err
	}
	if f.Src != "" {
		return a.hostFile(name, f.Src, f.Mode)
	}
	perm := f.Mode
	if perm == 0 {
		perm = 0o644
	}
	return a.data(name, perm, f.Data)
}
