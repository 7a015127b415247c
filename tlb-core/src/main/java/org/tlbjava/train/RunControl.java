package org.tlbjava.train;

/**
 * Stops a run from any thread. The run ends after the optimizer step in progress; an epoch cut
 * short is not recorded, so the run stays resumable from its last checkpoint and, resumed, ends
 * exactly as an uninterrupted one.
 */
public final class RunControl {
    private volatile boolean stopRequested;

    public void stop() {
        stopRequested = true;
    }

    public boolean stopRequested() {
        return stopRequested;
    }
}
