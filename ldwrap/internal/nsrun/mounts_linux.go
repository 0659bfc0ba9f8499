//go:build linux && !ldwrap_portable

package nsrun

import (
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// notPropagated checks, where / is no mount point (a chroot) and so cannot
// be made a slave, that a mount made on or under path stays in this
// namespace: the mount holding path must not be shared. mountinfo does not
// list that mount in a chroot (it is out of reach), but statmount(2)
// (Linux 6.8) reads it by the id statx gives.
func notPropagated(path string) error {
	var stx unix.Statx_t
	err := rawio.IgnoringEINTR(func() error {
		return unix.Statx(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID_UNIQUE, &stx)
	})
	if err == nil && stx.Mask&unix.STATX_MNT_ID_UNIQUE == 0 {
		err = unix.ENOSYS
	}
	var sm [64]uint64 // struct statmount: its fixed part, and room for more
	if err == nil {
		err = statmountBasic(stx.Mnt_id, sm[:])
	}
	if err == unix.ENOSYS {
		return errors.New("/ is not a mount point (a chroot?), and telling whether the mount holding " + path + " is shared needs statmount (Linux 6.8)")
	}
	if err != nil {
		return err
	}
	// mnt_propagation, 72 bytes in: MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE.
	if sm[72/8]&unix.MS_SHARED != 0 {
		return errors.New("/ is not a mount point (a chroot?), and the mount holding " + path + " is shared: an overlay on it would show outside")
	}
	return nil
}

// statmountBasic is statmount(2) asking for STATMOUNT_MNT_BASIC.
func statmountBasic(id uint64, buf []uint64) error {
	const statmountMntBasic = 0x2
	req := struct {
		size, spare  uint32
		mntID, param uint64
	}{size: unix.MNT_ID_REQ_SIZE_VER0, mntID: id, param: statmountMntBasic}
	return rawio.IgnoringEINTR(func() error {
		_, _, e := unix.Syscall6(unix.SYS_STATMOUNT, uintptr(unsafe.Pointer(&req)), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)*8), 0, 0, 0)
		if e != 0 {
			return e
		}
		return nil
	})
}
