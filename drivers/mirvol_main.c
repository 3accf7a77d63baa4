// SPDX-License-Identifier: GPL-2.0
/*
 * mirvol: mirrored block volumes.
 *
 * A volume (/dev/mirvolN) mirrors its data over 1 to MIRVOL_MAX_PLEXES
 * plexes, other block devices that each carry a superblock and a full
 * copy.  Volumes are created, assembled, reshaped (add-plex, break-plex,
 * remove-plex) and removed through /dev/mirvol-control; see
 * Documentation/ for the administrator's and the developer's view.
 *
 * This file holds the module's global state and parameters.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/reboot.h>

#include "mirvol_core.h"

/* Protects mirvol_volumes, volume names and ids. */
DEFINE_MUTEX(mirvol_mutex);
LIST_HEAD(mirvol_volumes);
/* Superblock updates, retries, releases: in the I/O completion path. */
struct workqueue_struct *mirvol_wq;
/* Long-running configuration operations (resync, break, ...). */
struct workqueue_struct *mirvol_op_wq;
int mirvol_major;

unsigned int mirvol_sync_speed_min = 1000;
module_param_named(sync_speed_min, mirvol_sync_speed_min, uint, 0644);
MODULE_PARM_DESC(sync_speed_min,
		 "Default resync speed floor in KiB/s, kept even under foreground I/O (1000)");

unsigned int mirvol_sync_speed_max = 200000;
module_param_named(sync_speed_max, mirvol_sync_speed_max, uint, 0644);
MODULE_PARM_DESC(sync_speed_max,
		 "Default resync speed ceiling in KiB/s (200000)");

unsigned int mirvol_safe_mode_delay_ms = 1000;
module_param_named(safe_mode_delay_ms, mirvol_safe_mode_delay_ms, uint, 0644);
MODULE_PARM_DESC(safe_mode_delay_ms,
		 "Idle time after the last write before a volume is marked clean on disk (1000)");

unsigned int mirvol_max_read_errors = 20;
module_param_named(max_read_errors, mirvol_max_read_errors, uint, 0644);
MODULE_PARM_DESC(max_read_errors,
		 "Read errors after which a plex is failed (20)");

/*
 * On shutdown or reboot, mark every started volume clean so the next boot
 * does not resync it, as md does.  I/O still in flight after this point
 * marks the volume dirty again.
 */
static int mirvol_reboot(struct notifier_block *nb, unsigned long code,
			 void *unused)
{
	struct mirvol_volume *vol;

	mutex_lock(&mirvol_mutex);
	list_for_each_entry(vol, &mirvol_volumes, node) {
		if (!test_bit(MIRVOL_VOL_STARTED, &vol->flags))
			continue;
		flush_delayed_work(&vol->safe_mode_work);
		mod_delayed_work(mirvol_wq, &vol->safe_mode_work, 0);
		flush_delayed_work(&vol->safe_mode_work);
	}
	mutex_unlock(&mirvol_mutex);
	return NOTIFY_DONE;
}

static struct notifier_block mirvol_reboot_nb = {
	.notifier_call = mirvol_reboot,
};

static int __init mirvol_init(void)
{
	int err;

	mirvol_wq = alloc_workqueue("mirvol", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!mirvol_wq)
		return -ENOMEM;
	mirvol_op_wq = alloc_workqueue("mirvol_op", WQ_UNBOUND, 0);
	if (!mirvol_op_wq) {
		err = -ENOMEM;
		goto out_wq;
	}
	mirvol_major = register_blkdev(0, "mirvol");
	if (mirvol_major < 0) {
		err = mirvol_major;
		goto out_io;
	}
	err = mirvol_ctl_init();
	if (err)
		goto out_blkdev;
	register_reboot_notifier(&mirvol_reboot_nb);
	pr_info("mirvol: mirrored block volumes, ABI %u.%u, major %d\n",
		MIRVOL_ABI_MAJOR, MIRVOL_ABI_MINOR, mirvol_major);
	return 0;

out_blkdev:
	unregister_blkdev(mirvol_major, "mirvol");
out_io:
	destroy_workqueue(mirvol_op_wq);
out_wq:
	destroy_workqueue(mirvol_wq);
	return err;
}

/*
 * Every volume holds a reference on the module, so no volume exists here.
 */
static void __exit mirvol_exit(void)
{
	unregister_reboot_notifier(&mirvol_reboot_nb);
	mirvol_ctl_exit();
	mirvol_ops_exit();
	unregister_blkdev(mirvol_major, "mirvol");
	destroy_workqueue(mirvol_op_wq);
	destroy_workqueue(mirvol_wq);
}

module_init(mirvol_init);
module_exit(mirvol_exit);

MODULE_DESCRIPTION("mirvol: mirrored block volumes");
MODULE_AUTHOR("The mirvol authors");
MODULE_LICENSE("GPL");
MODULE_SOFTDEP("pre: crc32c");
