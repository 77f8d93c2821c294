package imagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"time"
)

// ImageInfo is what qemu-img info says of a disk image.
type ImageInfo struct {
	Format      string `json:"format"`
	VirtualSize int64  `json:"virtual-size"`
	ActualSize  int64  `json:"actual-size"`
	Backing     string `json:"backing-filename"`
}

// QemuImgInfo runs qemu-img info on path.
func QemuImgInfo(ctx context.Context, path string) (ImageInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "qemu-img", "info", "--output=json", path).Output()
	if err != nil {
		return ImageInfo{}, fmt.Errorf("qemu-img info %s: %w", path, err)
	}
	return ParseImageInfo(out)
}

// ParseImageInfo decodes qemu-img info --output=json.
func ParseImageInfo(b []byte) (ImageInfo, error) {
	var i ImageInfo
	if err := json.Unmarshal(b, &i); err != nil {
		return i, fmt.Errorf("parse qemu-img info: %w", err)
	}
	return i, nil
}

// Overlay makes a qcow2 at path over base (copy on write), so that a
// test boots without changing what was built.
func Overlay(ctx context.Context, base, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("qemu-img create over %s: %w: %s", base, err, out)
	}
	return nil
}
