package io.sparkdiffusion.train;

import io.sparkdiffusion.tensor.kernels.TrapLimit;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Watches how much heap a partition's local steps allocate, to make one failure of the JVM visible: JDK 17's C2
 * sometimes compiles the engine's vector kernels with their {@code FloatVector}s boxed, and that compilation stays
 * for the JVM's life, so every step of that executor runs 3 to 10 times slower while allocating gigabytes (unet-small
 * at batch 64: 29 to 144 GB per step, about 1 MB when healthy, since the tape reuses its buffers). Nothing else
 * shows it: the results are the same, only slower. The first round that allocates more than
 * {@link #BOXED_BYTES_PER_IMAGE} per image logs one warning per JVM naming the host's process, so the user can
 * restart that executor.
 */
public final class StepAllocation {

    /**
     * Above this many bytes per trained image the vectors are boxed: once compiled, a local step allocates under
     * 50 KB per image (conf/quick.json: 0.0 MB from its second round on), a boxed unet-small step about 450 MB.
     * While the kernels still run interpreted a round allocates about as much as a boxed one (conf/quick.json's
     * first round on each core: 15 to 16 MB per image), hence {@link #WARM_UP_IMAGES}.
     */
    static final long BOXED_BYTES_PER_IMAGE = 8L << 20;

    /** Rounds that start before this JVM has trained this many images are its warm-up and are not judged. */
    static final long WARM_UP_IMAGES = 2_000;

    private static final com.sun.management.ThreadMXBean THREADS =
            ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                    && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled() ? t : null;
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    private static final AtomicLong TRAINED = new AtomicLong();
    private static final System.Logger LOG = System.getLogger(StepAllocation.class.getName());

    private StepAllocation() {
    }

    /** Bytes the current thread has allocated so far, or -1 when the JVM does not count them. */
    public static long allocatedBytes() {
        return THREADS == null ? -1 : THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * True when a round that trained {@code images} images, starting after {@code trainedBefore} images of this
     * JVM, allocated a boxed JVM's amount ({@code bytes}).
     */
    static boolean boxed(long bytes, long images, long trainedBefore) {
        return trainedBefore >= WARM_UP_IMAGES && images > 0 && bytes / images > BOXED_BYTES_PER_IMAGE;
    }

    /**
     * Logs the warning (once per JVM) when the current thread allocated a boxed JVM's amount since {@code before}
     * (an {@link #allocatedBytes()} reading) while training {@code images} images.
     */
    static void check(long before, long images) {
        long trainedBefore = TRAINED.getAndAdd(images);
        if (before < 0 || WARNED.get()) {
            return;
        }
        long bytes = allocatedBytes() - before;
        if (boxed(bytes, images, trainedBefore) && WARNED.compareAndSet(false, true)) {
            long trapLimit = TrapLimit.current();
            LOG.log(System.Logger.Level.WARNING, String.format(Locale.ROOT, "spark-diffusion: this JVM (%s) allocated"
                    + " %.1f MB per trained image in its local steps (a healthy one: well under 1 MB): its C2 compiled"
                    + " the vector kernels with boxed vectors, which lasts for the JVM's life and makes its steps 3 to"
                    + " 10 times slower. The results are unaffected; restart this executor (or the embedded run) to"
                    + " get the normal speed%s. See the README, \"The JIT option the vector kernels need\".",
                    ManagementFactory.getRuntimeMXBean().getName(), bytes / (double) images / 1e6,
                    TrapLimit.warning(trapLimit) == null ? ""
                            : ", and start it with " + TrapLimit.OPTION + " (it runs with "
                            + "-XX:PerMethodTrapLimit=" + trapLimit + ")"));
        }
    }
}
