"""Where work runs: local processes or a Dask cluster, behind one small interface
(submit, wait_any, shutdown). Runs and sweeps use the same executors, so a result
never depends on which one ran it (every unit draws from its own seed streams)."""
from __future__ import annotations

import multiprocessing as mp
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from ..errors import WomSimError


def worker_signals() -> None:
    """Workers leave Ctrl-C to the parent, which stops them and reports cleanly, and die
    quietly on the parent's SIGTERM (a forked worker would otherwise inherit the CLI's
    SIGTERM-as-Ctrl-C handler and print a traceback while being stopped)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


_HEAP_SET = False


def keep_heap() -> None:
    """Once per process: let glibc keep freed memory for reuse.

    Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, so every large
    temporary array the engine makes each step is handed back to the OS and faulted in
    again (measured: 4.7M page faults, units 60% slower). Setting the thresholds with
    mallopt overrides the environment, on any cluster a user starts. No-op off glibc.
    """
    global _HEAP_SET
    if _HEAP_SET:
        return
    _HEAP_SET = True
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)
        libc.mallopt(M_TRIM_THRESHOLD, 64 << 20)
    except (OSError, AttributeError):
        pass


class LocalExecutor:
    """Local processes (forked: the parent's graph is shared copy-on-write), or the
    calling process itself when workers = 1."""

    def __init__(self, workers: int) -> None:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method),
                                        initializer=worker_signals) if workers > 1 else None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        if self.pool is None:
            f: Future = Future()
            try:
                f.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001  (re-raised by result())
                f.set_exception(exc)
            return f
        return self.pool.submit(fn, *args)

    def wait_any(self, futures: Iterable[Any]) -> tuple[set[Any], set[Any]]:
        done, not_done = wait(list(futures), return_when=FIRST_COMPLETED)
        return set(done), set(not_done)

    def shutdown(self, cancel: bool = False) -> None:
        """Wait for the workers, or (cancel) stop them at once. Either way the pool's
        manager thread is joined here: left running, it races the interpreter's exit
        (concurrent.futures' atexit hook writes to its closed wake-up pipe)."""
        if self.pool is not None:
            if cancel:
                procs = list(getattr(self.pool, "_processes", {}).values())
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.join(timeout=10)
                # a worker stopped while writing a result leaves half a message in the result
                # pipe, and the manager thread would wait for the rest forever (seen once in a
                # test run: a sweep hung on SIGTERM). This process never writes to that pipe:
                # closing its write end lets the reader see EOF once the workers are gone.
                writer = getattr(getattr(self.pool, "_result_queue", None), "_writer", None)
                if writer is not None:
                    try:
                        writer.close()
                    except OSError:
                        pass
            self.pool.shutdown(wait=True, cancel_futures=cancel)


# Dask worker housekeeping slowed while a sweep runs (callback -> period in ms; 0 pauses
# it). Each wakes the worker's event loop, which then takes the GIL from the running
# unit: 10 ms statistical profiler, 20 ms tick, 100 ms memory check, 500 ms system
# monitor, about 150 wakeups a second. Measured on a 40-point sweep: 2.3-2.6 s more CPU
# and Dask 11-25% slower than local processes (benchmarks/README.md, "Sweeps").
# Heartbeats are left alone.
QUIET_WORKER_MS = {"profile": 0, "profile-cycle": 0, "tick": 1000, "memory_monitor": 1000, "monitor": 5000}
PLUGIN_NAME = "wom-sim-sweep"


def quiet_worker(worker: Any, periods: dict[str, int], on: bool) -> None:
    """Slow (on) or restore (off) a Dask worker's periodic callbacks, on its event loop.
    The old periods are kept on the worker, so a second `on` changes nothing."""
    saved = getattr(worker, "_wom_sim_periods", None)
    if on and saved is None:
        saved = worker._wom_sim_periods = {}
        for name, ms in periods.items():
            pc = getattr(worker, "periodic_callbacks", {}).get(name)
            if pc is not None:
                saved[name] = (pc.callback_time, pc.is_running())
                if ms:
                    pc.callback_time = max(pc.callback_time, ms)
                else:
                    pc.stop()
    elif not on and saved is not None:
        for name, (ms, running) in saved.items():
            pc = getattr(worker, "periodic_callbacks", {}).get(name)
            if pc is not None:
                pc.callback_time = ms
                if running and not pc.is_running():
                    pc.start()
        del worker._wom_sim_periods


def sweep_worker_plugin(periods: dict[str, int] | None = None) -> Any:
    """The Dask WorkerPlugin a grid registers on every worker (and on workers that join
    later): glibc heap settings at once, housekeeping slowed until it is unregistered.
    One fixed name: a killed sweep's plugin is replaced, so its settings do not stick."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class SweepWorker(WorkerPlugin):
        name = PLUGIN_NAME

        def __init__(self, periods: dict[str, int]) -> None:
            self.periods = periods

        def setup(self, worker: Any) -> None:
            keep_heap()
            quiet_worker(worker, self.periods, True)

        def teardown(self, worker: Any) -> None:
            quiet_worker(worker, self.periods, False)

    return SweepWorker(dict(QUIET_WORKER_MS if periods is None else periods))


#: Dask's own settings for a TLS client (read by distributed.Security from the environment)
TLS_ENV = ("DASK_DISTRIBUTED__COMM__TLS__CA_FILE", "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT",
           "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY")


class DaskExecutor:
    """A Dask cluster at `address` (pip install 'wom-sim[dask]')."""

    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise WomSimError("--scheduler needs Dask: pip install 'wom-sim[dask]'") from None
        import dask
        tls_ready = bool(dask.config.get("distributed.comm.tls.ca-file", None))
        if address.startswith("tls://") and not tls_ready:
            raise WomSimError(f"--scheduler {address}: a tls:// scheduler needs this machine's certificate: set "
                              f"{', '.join(TLS_ENV)} (README, 'Dask security')")
        try:
            self.client = Client(address, timeout="10s")  # TLS, if configured, from Dask's config (TLS_ENV)
        except Exception as exc:  # noqa: BLE001  (a bad address raises ValueError, TypeError, OSError, ...)
            raise WomSimError(f"--scheduler {address}: cannot reach a Dask scheduler there "
                              f"({type(exc).__name__}: {exc}). Give its address as tcp://HOST:PORT (or tls://...); "
                              "start one with `dask scheduler` and workers with `dask worker ADDRESS`.") from None
        self.client.register_plugin(sweep_worker_plugin(), name=PLUGIN_NAME)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def wait_any(self, futures: Iterable[Any]) -> tuple[set[Any], set[Any]]:
        from distributed import wait as dwait
        res = dwait(list(futures), return_when="FIRST_COMPLETED")
        return set(res.done), set(res.not_done)

    def shutdown(self, cancel: bool = False) -> None:
        try:
            self.client.unregister_worker_plugin(PLUGIN_NAME)   # restores the workers' settings
        except Exception:  # noqa: BLE001  (a lost cluster must not hide the sweep's own error)
            pass
        self.client.close()


Executor = LocalExecutor | DaskExecutor


def make_executor(workers: int, scheduler: str | None = None) -> Executor:
    """A Dask executor when a scheduler address is given, else local processes."""
    return DaskExecutor(scheduler) if scheduler else LocalExecutor(workers)
