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
    private static final class Entry {
        final UNetConfig spec;
        final UNet net;
        final Tape tape;
        float[] loaded; // the weight array last copied into net (inference only), by identity

        Entry(UNetConfig spec, boolean recording) {
            this.spec = spec;
            // The seed only fills initial values, which every user overwrites.
            this.net = new UNet(spec, 0);
            this.tape = recording ? new Tape() : Tape.inference();
        }
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

    /**
     * This thread's inference network for {@code spec}, with no weights considered loaded: the next
     * {@link #inferenceNet(UNetConfig, float[])} copies its array in even when it is the one loaded last (a new
     * denoiser may bring an array that was changed in place since).
     */
    public static UNet inferenceNet(UNetConfig spec) {
        Entry e = entry(INFERENCE, spec, false);
        e.loaded = null;
        return e.net;
    }

    /**
     * This thread's inference network for {@code spec} holding {@code weights}: copied in only when a different
     * array was loaded last (a sampling task calls this once per sampler step with the same broadcast array), so
     * the array must not change while it is in use.
     */
    public static UNet inferenceNet(UNetConfig spec, float[] weights) {
        Entry e = entry(INFERENCE, spec, false);
        if (e.loaded != weights) {
            e.net.parameters().setValues(weights);
            e.loaded = weights;
        }
        return e.net;
    }

    public static Tape inferenceTape(UNetConfig spec) {
        return entry(INFERENCE, spec, false).tape;
    }

    private static Entry entry(ThreadLocal<Entry> slot, UNetConfig spec, boolean recording) {
        Entry e = slot.get();
        if (e == null || !e.spec.equals(spec)) {
            e = new Entry(spec, recording);
            slot.set(e);
        }
        return e;
    }
}
