// Package vm boots real Debian kernels under qemu for tests: of the
// kwarden kernel module and its eBPF programs.
//
// A test resolves kernels with Kernels, packs a busybox-static initramfs
// with BuildInitramfs (its files plus a generated /init that loads modules
// and runs one command), and boots it with Run. Run streams the serial
// console and returns a Result: the command's exit status, structured
// records the guest printed (see package record), kernel problem lines
// (BUG, WARNING, Oops, lockups, panics, ...) and whether the run timed out.
// Result.Err turns all of that into one error with the console tail.
//
// qemu always runs with TCG (-accel tcg); KVM guests hang on the build
// machines. Kernels boot with panic_on_warn=1 and oops=panic, so a WARN or
// Oops ends the run at once and shows up in Result.Problems.
//
//	ks, err := vm.Kernels(ctx, vm.KernelOptions{})
//	...
//	err = vm.BuildInitramfsFile(initrd, []vm.File{{Path: "/m.ko", Src: ko}},
//		vm.InitOptions{Modules: []string{"/m.ko"}, Command: []string{"/bin/cat", "/proc/m"}})
//	...
//	res, err := vm.Run(ctx, vm.Config{Kernel: ks[0], Initramfs: initrd, Console: vm.LogWriter(t.Logf)})
//	if err == nil {
//		err = res.Err()
//	}
//
// Nothing in the package keeps global mutable state; every path and binary
// is a setting. Functions are safe for concurrent use unless noted.
package vm
