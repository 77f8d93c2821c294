// Package imagetest boots the kwarden lab appliance (make image, make
// box) under qemu with TCG and checks it from outside, as a student's
// host sees it: the agent's API and Prometheus over ports forwarded to
// 127.0.0.1, SSH as vagrant with Vagrant's insecure key, and the serial
// console, scanned for kernel problems.
//
// The test itself (image_test.go) is built only with the imagetest tag,
// since it needs a built image; make image-test runs it:
//
//	go test -tags imagetest ./test/imagetest -image out/image/kwarden-lab.qcow2 -box out/box/kwarden-lab-libvirt.box -logs out/imagetest
//
// The rest of the package (a machine, SSH, the .box reader) is plain
// code with unit tests that run everywhere.
package imagetest
