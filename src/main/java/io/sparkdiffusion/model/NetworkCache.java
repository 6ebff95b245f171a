package io.sparkdiffusion.model;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.nn.unet.UNet;
import io.sparkdiffusion.nn.unet.UNetConfig;

/**
 * One U-Net and one tape per thread and configuration, reused across Spark tasks and rounds: building a network
 * and warming a tape's buffer pool costs more than a few steps of a small network. Only the structure is reused;
 * the weights are overwritten from the caller's flat array before every use.
 */
public final class NetworkCache {
    private record Entry(UNetConfig spec, boolean recording, UNet net, Tape tape) {
    }

    private static final ThreadLocal<Entry> TRAINING = new ThreadLocal<>();
    private static final ThreadLocal<Entry> INFERENCE = new ThreadLocal<>();

    private NetworkCache() {
    }

    /** This thread's network and recording tape for {@code spec}. */
    public static UNet trainingNet(UNetConfig spec) {
        return entry(TRAINING, spec, true).net;
    }

    public static Tape trainingTape(UNetConfig spec) {
        return entry(TRAINING, spec, true).tape;
    }

    /** This thread's network and inference tape for {@code spec}. */
    public static UNet inferenceNet(UNetConfig spec) {
        return entry(INFERENCE, spec, false).net;
    }

    public static Tape inferenceTape(UNetConfig spec) {
        return entry(INFERENCE, spec, false).tape;
    }

    private static Entry entry(ThreadLocal<Entry> slot, UNetConfig spec, boolean recording) {
        Entry e = slot.get();
        if (e == null || !e.spec.equals(spec)) {
            // The seed only fills initial values, which every user overwrites.
            e = new Entry(spec, recording, new UNet(spec, 0), recording ? new Tape() : Tape.inference());
            slot.set(e);
        }
        return e;
    }
}
