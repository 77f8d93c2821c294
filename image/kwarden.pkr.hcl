# The kwarden lab built by Packer from Debian 13's cloud image, for
# builders where a VM can be booted (KVM: -var accelerator=kvm): the
# same provisioning path as make image (image/provision/run.sh over the
# payload of make payload), then a vagrant-libvirt box.
#
#   make payload
#   packer build -var accelerator=kvm image/kwarden.pkr.hcl
#
# cloud-init makes the vagrant user with Vagrant's insecure key from the
# payload's cloud-init/ seed, served by Packer's HTTP server. TCG is the
# default because Packer picks KVM whenever /dev/kvm exists, and on the
# project's build machines KVM guests hang.

variable "accelerator" {
  type    = string
  default = "tcg"
}

variable "payload" {
  type        = string
  default     = "out/payload"
  description = "make payload's output, relative to where packer runs (the repository's root)"
}

variable "insecure_key" {
  type        = string
  default     = "/usr/share/rubygems-integration/all/gems/vagrant-2.3.4/keys/vagrant"
  description = "Vagrant's insecure private key, as Debian's vagrant package ships it"
}

variable "cloud_image" {
  type    = string
  default = "https://cloud.debian.org/images/cloud/trixie/latest/debian-13-generic-amd64.qcow2"
}

variable "cloud_image_checksum" {
  type    = string
  default = "file:https://cloud.debian.org/images/cloud/trixie/latest/SHA512SUMS"
}

variable "generator" {
  type        = string
  default     = "on"
  description = "the workload generator's timer in the lab: on or off"
}

source "qemu" "kwarden-lab" {
  iso_url              = var.cloud_image
  iso_checksum         = var.cloud_image_checksum
  disk_image           = true
  disk_size            = "20G"
  format               = "qcow2"
  accelerator          = var.accelerator
  headless             = true
  memory               = 3072
  cpus                 = 2
  disk_interface       = "virtio"
  net_device           = "virtio-net"
  http_directory       = "${var.payload}/cloud-init"
  qemuargs             = [["-smbios", "type=1,serial=ds=nocloud-net;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"], ["-serial", "file:out/packer-console.log"]]
  ssh_username         = "vagrant"
  ssh_private_key_file = var.insecure_key
  ssh_timeout          = "45m"
  shutdown_command     = "sudo systemctl poweroff"
  output_directory     = "out/packer"
  vm_name              = "kwarden-lab.qcow2"
}

build {
  sources = ["source.qemu.kwarden-lab"]

  provisioner "file" {
    source      = "${var.payload}/"
    destination = "/tmp/kwarden-payload"
  }

  provisioner "shell" {
    environment_vars = ["KWARDEN_PAYLOAD=/tmp/kwarden-payload", "KWARDEN_GENERATOR=${var.generator}"]
    execute_command  = "sudo -E bash '{{ .Path }}'"
    inline           = ["bash /tmp/kwarden-payload/provision/run.sh", "rm -rf /tmp/kwarden-payload"]
  }

  post-processor "vagrant" {
    output = "out/box/kwarden-lab-packer-{{ .Provider }}.box"
  }
}
