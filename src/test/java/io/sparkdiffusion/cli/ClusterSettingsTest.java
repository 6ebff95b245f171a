package io.sparkdiffusion.cli;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ClusterSettingsTest {

    @Test
    void sparkHadoopSettingsReachTheChecksWithoutTheirPrefix() {
        Configuration conf = ClusterSettings.hadoopConfiguration(Map.of("spark.hadoop.fs.s3a.endpoint",
                "http://127.0.0.1:9000", "spark.hadoop.fs.defaultFS", "hdfs://nn:8020", "spark.executor.cores", "4"));
        assertEquals("http://127.0.0.1:9000", conf.get("fs.s3a.endpoint"));
        assertEquals("hdfs://nn:8020", conf.get("fs.defaultFS"));
        assertNull(conf.get("spark.executor.cores"));
        assertNull(conf.get("executor.cores"));
    }

    @Test
    void expectedCoresFromTheStandaloneOrTheYarnAndKubernetesSettings() {
        assertEquals(6, ClusterSettings.expectedCores(new SparkConf(false).set("spark.cores.max", "6")));
        assertEquals(12, ClusterSettings.expectedCores(new SparkConf(false).set("spark.executor.instances", "3")
                .set("spark.executor.cores", "4")));
        assertEquals(3, ClusterSettings.expectedCores(new SparkConf(false).set("spark.executor.instances", "3")),
                "one core per executor unless spark.executor.cores says otherwise");
        assertEquals(0, ClusterSettings.expectedCores(new SparkConf(false).set("spark.executor.instances", "3")
                .set("spark.dynamicAllocation.enabled", "true")), "dynamic allocation: instances is only the start");
        assertEquals(0, ClusterSettings.expectedCores(new SparkConf(false)));
    }
}
