package psi

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"

	"github.com/kwarden/kwarden/internal/rereader"
)

// ErrUnsupported says that the kernel publishes no pressure figures
// where they were looked for: built without CONFIG_PSI, booted with
// psi=0, or a cgroup that has no pressure files (cgroup v1, or PSI off
// for cgroups). Callers report "no pressure figures", not a failure.
// Errors that wrap it also wrap the system call's errno.
var ErrUnsupported = errors.New("no pressure stall information")

// unsupported maps the errnos by which a kernel says it has no PSI to
// ErrUnsupported: a missing file (no /proc/pressure without CONFIG_PSI
// or with psi=0 on the command line), and EOPNOTSUPP, which psi_show and
// psi_write return when PSI was switched off at boot. Any other error is
// returned as it is.
func unsupported(err error) error {
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EOPNOTSUPP) {
		return fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	return err
}

// Files names the three pressure files a Reader reads. Every path is a
// setting, so that tests can point a Reader at fixtures.
type Files struct {
	Memory, CPU, IO string
}

// SystemFiles are the machine-wide pressure files in dir, which is
// /proc/pressure on a real system.
func SystemFiles(dir string) Files {
	return Files{Memory: filepath.Join(dir, "memory"), CPU: filepath.Join(dir, "cpu"), IO: filepath.Join(dir, "io")}
}

// CgroupFiles are the pressure files of the cgroup v2 directory dir.
func CgroupFiles(dir string) Files {
	return Files{
		Memory: filepath.Join(dir, "memory.pressure"),
		CPU:    filepath.Join(dir, "cpu.pressure"),
		IO:     filepath.Join(dir, "io.pressure"),
	}
}

// Pressure is one read of the three pressure files.
type Pressure struct {
	Memory, CPU, IO Resource
}

// Reader keeps the three pressure files open and reads each with one
// pread per Read, so that a tick does not open and close three files
// (internal/rereader says why that matters). Not safe for concurrent
// use.
type Reader struct {
	paths [3]string
	files [3]*rereader.File
}

// OpenReader opens the three files. A kernel without PSI gives an error
// wrapping ErrUnsupported; the error names the file.
func OpenReader(files Files) (*Reader, error) {
	r := &Reader{paths: [3]string{files.Memory, files.CPU, files.IO}}
	for i, p := range r.paths {
		f, err := rereader.Open(p)
		if err != nil {
			_ = r.Close()
			return nil, unsupported(err)
		}
		r.files[i] = f
	}
	return r, nil
}

// Read reads and parses the three files. An error names the file, and
// for a malformed one the line; EOPNOTSUPP (PSI switched off at boot)
// wraps ErrUnsupported. A cgroup removed since OpenReader answers ENODEV.
func (r *Reader) Read() (Pressure, error) {
	var out [3]Resource
	for i, f := range r.files {
		if f == nil {
			return Pressure{}, fmt.Errorf("read pressure: %w", syscall.EBADF)
		}
		b, err := f.Read()
		if err != nil {
			return Pressure{}, unsupported(err)
		}
		if out[i], err = ParseResource(b); err != nil {
			return Pressure{}, fmt.Errorf("read %s: %w", r.paths[i], err)
		}
	}
	return Pressure{Memory: out[0], CPU: out[1], IO: out[2]}, nil
}

// Close closes the files; it may be called twice.
func (r *Reader) Close() error {
	var errs []error
	for i, f := range r.files {
		if f != nil {
			errs = append(errs, f.Close())
			r.files[i] = nil
		}
	}
	return errors.Join(errs...)
}
