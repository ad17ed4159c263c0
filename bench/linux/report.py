#!/usr/bin/env python3
"""report.py RAW - bench/results/linux.md from bench/linux/l1-init's markers."""
import statistics, sys, time

runs = {}            # vmm -> list of (rc, wall, init, {counter: n})
cur = None
for line in open(sys.argv[1]):
    w = line.split()
    if w[0] == '@@bench' and len(w) >= 7 and w[1] != 'done':
        init = float(w[8]) if len(w) > 8 else None
        cur = {'rc': int(w[4]), 'wall': float(w[6]), 'init': init, 'exits': {}}
        runs.setdefault(w[1], []).append(cur)
    elif w[0] == '@@exits' and cur is not None:
        cur['exits'][w[1]] = int(w[2])

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float('nan')

names = {'pvhv': 'pvhv', 'microvm': 'QEMU -M microvm', 'pc': 'QEMU -M pc (SeaBIOS)'}
print('# Debian\'s Linux to /init: pvhv against QEMU, inside the nested L1\n')
print('Made by `bench/linux/run.sh` on %s. Debian 12\'s Linux 6.1 (`build/nested/vmlinux`,'
      ' its PVH entry) with the busybox initramfs of `tests/linux/guest-init`, 1 vCPU, 256 MiB,'
      ' `-accel kvm` (pvhv: its paravirt interface on), inside L1 (Debian\'s Linux with kvm_amd'
      ' under QEMU TCG, emulated SVM); the three VMMs interleaved, median of the runs that ended'
      ' cleanly.\n' % time.strftime('%Y-%m-%d'))
print('| VMM | runs ok | guest uptime at /init (s) | whole VMM run, L1 wall (s) | KVM exits |'
      ' io_exits | mmio_exits | halt_exits | irq_exits | irq_window_exits | insn_emulation |')
print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for v in ('pvhv', 'microvm', 'pc'):
    rs = runs.get(v, [])
    ok = [r for r in rs if r['rc'] == 0]
    cols = [med(r['exits'].get(c) for r in ok) for c in
            ('exits', 'io_exits', 'mmio_exits', 'halt_exits', 'irq_exits', 'irq_window_exits',
             'insn_emulation')]
    print('| %s | %d/%d | %.2f | %.2f | %s |' % (names[v], len(ok), len(rs),
          med(r['init'] for r in ok), med(r['wall'] for r in ok),
          ' | '.join('%.0f' % c for c in cols)))
notes = [l.split(' ', 1)[1].strip() for l in open(sys.argv[1]) if l.startswith('@@note')]
for n in notes:
    print('\nNote from L1: %s' % n)
print('''
What the columns are: "guest uptime at /init" is the guest's own
/proc/uptime when its /init starts (kernel entry to user space, the
guest's clock); "whole VMM run" is L1's wall time from starting the VMM
to its exit after the guest's ACPI power-off (VMM start-up, firmware,
kernel, /init's checks, power-off). KVM's exits are L1's debugfs totals
(`/sys/kernel/debug/kvm/*`, every exit, those KVM handles itself too),
sampled every 0.1 s while the VM lives, so the last ~0.1 s are missing.

What they mean here: everything runs under QEMU TCG (L1's SVM is
emulated), so a second is TCG's second and an exit costs what TCG takes
to emulate a world switch, orders of magnitude more than on hardware;
the ratios between the VMMs, not the absolute times, are the result, and
even they are TCG's (device emulation in user space weighs less, against
the guest's own instructions, than it would on hardware). The three VMMs
run the same kernel, initramfs and command line (`console=ttyS0
loglevel=4`, no `pci=off`); pvhv's guest runs the AMD GART aperture
search over 256 PCI buses through 0xcf8/0xcfc (docs/pvhv-abi.md, "A
guest nobody here wrote"), QEMU's guests find a real PCI host bridge
(pc) or none (microvm, no legacy ports at all: the search reads MMIO
nothing answers). `-M pc` pays SeaBIOS; `-M microvm` boots the PVH entry
directly like pvhv.
''')
