package io.sparkdiffusion.spark;

import io.sparkdiffusion.train.PartitionResult;
import io.sparkdiffusion.train.RoundResult;
import io.sparkdiffusion.train.SliceLayout;
import io.sparkdiffusion.train.SliceMean;
import io.sparkdiffusion.train.SliceMeans;
import org.apache.spark.HashPartitioner;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The sliced reduction (a reduce-scatter, {@link Reduction#SLICED}): each partition's result is cut into the
 * slices of a {@link SliceLayout} (key: the slice index), shuffled to {@code S} reducers, one per slice; each
 * reducer averages its slice in partition order ({@link SliceLayout#reduce}) and the driver copies the averaged
 * slices into arrays it allocates once, a few slices per job ({@code collectPartitions}). The driver's share is
 * the model's floats, whatever the number of partitions; the work and the memory of the sums are spread over
 * the executors. A retried map or reduce task recomputes the same pieces and the same sums, in the same order.
 *
 * <p>Nothing of a round is cached; its shuffle files are removed when the round's result is in.
 */
final class SlicedReduction {

    private SlicedReduction() {
    }

    /** Averages one round's partition results slice by slice; the driver receives only the averaged floats. */
    static RoundResult reduce(JavaRDD<PartitionResult> results, ReductionPlan plan, SliceLayout layout,
                              boolean averageOptimizerState) {
        JavaPairRDD<Integer, PartitionResult> pieces = results.flatMapToPair(
                r -> new Pieces(r, layout));
        JavaPairRDD<Integer, Iterable<PartitionResult>> bySlice = pieces.groupByKey(new HashPartitioner(layout.slices()));
        JavaRDD<SliceMean> means = bySlice.map(e -> layout.reduce(e._1(), toList(e._2()), averageOptimizerState));
        SliceMeans out = new SliceMeans(layout, averageOptimizerState);
        try {
            for (int from = 0; from < layout.slices(); from += plan.slicesPerJob()) {
                int[] ids = new int[Math.min(plan.slicesPerJob(), layout.slices() - from)];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = from + i; // HashPartitioner puts slice key s into partition s
                }
                for (List<SliceMean> part : means.collectPartitions(ids)) {
                    part.forEach(out::put);
                }
            }
        } finally {
            removeShuffleFiles(bySlice.rdd());
        }
        return out;
    }

    private static List<PartitionResult> toList(Iterable<PartitionResult> pieces) {
        List<PartitionResult> list = new ArrayList<>();
        pieces.forEach(list::add);
        return list;
    }

    /**
     * Removes the round's shuffle files now rather than when the driver's garbage collector finds the RDD
     * unreachable (Spark's ContextCleaner, which this asks directly; without reference tracking there is no
     * cleaner and Spark keeps the files until the application ends, as for any shuffle).
     */
    private static void removeShuffleFiles(RDD<?> shuffled) {
        var cleaner = shuffled.context().cleaner();
        if (cleaner.isEmpty()) {
            return;
        }
        scala.collection.Iterator<org.apache.spark.Dependency<?>> deps = shuffled.dependencies().iterator();
        while (deps.hasNext()) {
            if (deps.next() instanceof ShuffleDependency<?, ?, ?> shuffle) {
                cleaner.get().doCleanupShuffle(shuffle.shuffleId(), false);
            }
        }
    }

    /** One result's pieces, cut one at a time as the shuffle writer asks, so no second copy of it is held. */
    private static final class Pieces implements Iterator<Tuple2<Integer, PartitionResult>> {
        private final PartitionResult result;
        private final SliceLayout layout;
        private int next;

        Pieces(PartitionResult result, SliceLayout layout) {
            this.result = result;
            this.layout = layout;
            if (result.params() != null && result.params().length != layout.numParameters()) {
                throw new IllegalStateException("partition " + result.partition() + " returned "
                        + result.params().length + " weights, the layout has " + layout.numParameters());
            }
        }

        @Override
        public boolean hasNext() {
            return next < (result.images() == 0 ? 1 : layout.slices());
        }

        @Override
        public Tuple2<Integer, PartitionResult> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            int s = next++;
            return new Tuple2<>(s, layout.piece(result, s));
        }
    }
}
