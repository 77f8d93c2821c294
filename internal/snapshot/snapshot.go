package snapshot

// Process is one thread group (what ps calls a process).
type Process struct {
	PID     int32  `json:"pid"`
	PPID    int32  `json:"ppid"`
	UID     uint32 `json:"uid"`
	EUID    uint32 `json:"euid"`
	Comm    string `json:"comm"`
	State   string `json:"state"` // one of R S D T t X Z P I
	KThread bool   `json:"kthread"`

	// StartTimeNs is CLOCK_BOOTTIME at fork. Together with PID it
	// identifies a process across views: PIDs are reused, start times are
	// not.
	StartTimeNs uint64 `json:"start_time_ns"`
	Threads     uint32 `json:"threads"`
	// Running counts threads on a CPU or queued for one (state R) at the
	// read. The procfs walker leaves it 0.
	Running uint32 `json:"running"`

	// CPUNs is scheduler runtime summed over all threads, including
	// threads that already exited. UserNs and SystemNs are tick-sampled.
	CPUNs    uint64 `json:"cpu_ns"`
	UserNs   uint64 `json:"user_ns"`
	SystemNs uint64 `json:"system_ns"`

	VSZBytes      uint64 `json:"vsz_bytes"`
	RSSAnonBytes  uint64 `json:"rss_anon_bytes"`
	RSSFileBytes  uint64 `json:"rss_file_bytes"`
	RSSShmemBytes uint64 `json:"rss_shmem_bytes"`

	RChar               uint64 `json:"rchar"`
	WChar               uint64 `json:"wchar"`
	SyscR               uint64 `json:"syscr"`
	SyscW               uint64 `json:"syscw"`
	ReadBytes           uint64 `json:"read_bytes"`
	WriteBytes          uint64 `json:"write_bytes"`
	CancelledWriteBytes uint64 `json:"cancelled_write_bytes"`

	CgroupID uint64 `json:"cgroup_id"`
	// MemCgroupID is the memory controller's cgroup id: on a cgroup v1
	// host the id in the memory hierarchy, on v2 the same as CgroupID.
	// Only the eBPF view reports it.
	MemCgroupID      uint64   `json:"memcg_id,omitempty"`
	CgroupPath       string   `json:"cgroup_path"`
	ContainerID      string   `json:"container_id"`
	ContainerRuntime string   `json:"container_runtime"`
	Cmdline          []string `json:"cmdline"`
	CmdlineTruncated bool     `json:"cmdline_truncated"`
}

// RSSBytes is the resident set: anonymous, file-backed and shared memory.
func (p *Process) RSSBytes() uint64 {
	return p.RSSAnonBytes + p.RSSFileBytes + p.RSSShmemBytes
}

// Key identifies a process uniquely over the life of a boot.
type Key struct {
	PID         int32
	StartTimeNs uint64
}

// Key returns the identity used to match a process across views.
func (p *Process) Key() Key { return Key{PID: p.PID, StartTimeNs: p.StartTimeNs} }

// Processes is one read of every process on the machine.
type Processes struct {
	// TimeNs is CLOCK_BOOTTIME when the read started.
	TimeNs uint64 `json:"time_ns"`
	// EndTimeNs is CLOCK_BOOTTIME when the read ended, where the reader
	// knows it: with TimeNs it bounds when each record was taken.
	EndTimeNs uint64    `json:"end_time_ns,omitempty"`
	PageSize  uint64    `json:"page_size"`
	Processes []Process `json:"processes"`
}

// Container groups the processes of one container.
type Container struct {
	ID            string  `json:"id"`
	Runtime       string  `json:"runtime"`
	CgroupID      uint64  `json:"cgroup_id"`
	CgroupPath    string  `json:"cgroup_path"`
	Processes     uint32  `json:"processes"`
	Threads       uint32  `json:"threads"`
	CPUNs         uint64  `json:"cpu_ns"`
	VSZBytes      uint64  `json:"vsz_bytes"`
	RSSAnonBytes  uint64  `json:"rss_anon_bytes"`
	RSSFileBytes  uint64  `json:"rss_file_bytes"`
	RSSShmemBytes uint64  `json:"rss_shmem_bytes"`
	RChar         uint64  `json:"rchar"`
	WChar         uint64  `json:"wchar"`
	ReadBytes     uint64  `json:"read_bytes"`
	WriteBytes    uint64  `json:"write_bytes"`
	PIDs          []int32 `json:"pids"`
}

// Containers is one read of the container view.
type Containers struct {
	TimeNs     uint64      `json:"time_ns"`
	PageSize   uint64      `json:"page_size"`
	Containers []Container `json:"containers"`
	// Truncated reports that the source dropped containers or processes
	// to stay within its memory bound.
	Truncated bool `json:"truncated"`
}

// CPUTimes is the time one CPU (or all together) spent in each state.
type CPUTimes struct {
	CPU       int    `json:"cpu"`
	UserNs    uint64 `json:"user_ns"`
	NiceNs    uint64 `json:"nice_ns"`
	SystemNs  uint64 `json:"system_ns"`
	IdleNs    uint64 `json:"idle_ns"`
	IOWaitNs  uint64 `json:"iowait_ns"`
	IRQNs     uint64 `json:"irq_ns"`
	SoftIRQNs uint64 `json:"softirq_ns"`
	StealNs   uint64 `json:"steal_ns"`
	GuestNs   uint64 `json:"guest_ns"`
	GuestNice uint64 `json:"guest_nice_ns"`
}

// Total is the sum of every state, the denominator of a CPU %.
// Guest time is already counted in user time, as in /proc/stat.
func (c *CPUTimes) Total() uint64 {
	return c.UserNs + c.NiceNs + c.SystemNs + c.IdleNs + c.IOWaitNs +
		c.IRQNs + c.SoftIRQNs + c.StealNs
}

// Busy is the time spent doing anything but idling or waiting for I/O.
func (c *CPUTimes) Busy() uint64 { return c.Total() - c.IdleNs - c.IOWaitNs }

// Memory holds the system memory totals.
type Memory struct {
	TotalBytes     uint64 `json:"total_bytes"`
	FreeBytes      uint64 `json:"free_bytes"`
	AvailableBytes uint64 `json:"available_bytes"`
	BuffersBytes   uint64 `json:"buffers_bytes"`
	CachedBytes    uint64 `json:"cached_bytes"`
	ShmemBytes     uint64 `json:"shmem_bytes"`
	UsedBytes      uint64 `json:"used_bytes"`
}

// Tasks counts processes and threads.
type Tasks struct {
	Processes uint32 `json:"processes"`
	Threads   uint32 `json:"threads"`
	Running   uint32 `json:"running"`
	Blocked   uint32 `json:"blocked"`
	Zombie    uint32 `json:"zombie"`
}

// Load is the load average as the kernel prints it ("0.42").
type Load struct {
	Avg1  string `json:"avg1"`
	Avg5  string `json:"avg5"`
	Avg15 string `json:"avg15"`
}

// System is one read of the machine-wide figures.
type System struct {
	TimeNs   uint64     `json:"time_ns"`
	Kernel   string     `json:"kernel"`
	PageSize uint64     `json:"page_size"`
	CPUs     int        `json:"cpus"`
	Memory   Memory     `json:"memory"`
	CPUTotal CPUTimes   `json:"cpu_total"`
	CPU      []CPUTimes `json:"cpu"`
	Tasks    Tasks      `json:"tasks"`
	Load     Load       `json:"load"`
}
