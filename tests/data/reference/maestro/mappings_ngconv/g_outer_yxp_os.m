Network g_outer_yxp_os {
Layer RX2 {
Type: NGCONV
Stride { X: 1, Y: 1 }
Dimensions { G: 32, K: 4, C: 128, R: 3, S: 3, Y: 56, X: 56 }
Dataflow {
TemporalMap(1,1) G; TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(10,8) X; Cluster(8,P); SpatialMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
}
}
Layer RX3 {
Type: NGCONV
Stride { X: 1, Y: 1 }
Dimensions { G: 32, K: 8, C: 256, R: 3, S: 3, Y: 28, X: 28 }
Dataflow {
TemporalMap(1,1) G; TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(10,8) X; Cluster(8,P); SpatialMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
}
}
Layer RX4 {
Type: NGCONV
Stride { X: 1, Y: 1 }
Dimensions { G: 32, K: 16, C: 512, R: 3, S: 3, Y: 14, X: 14 }
Dataflow {
TemporalMap(1,1) G; TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(10,8) X; Cluster(8,P); SpatialMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
}
}
Layer RX5 {
Type: NGCONV
Stride { X: 1, Y: 1 }
Dimensions { G: 32, K: 32, C: 1024, R: 3, S: 3, Y: 7, X: 7 }
Dataflow {
TemporalMap(1,1) G; TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(10,8) X; Cluster(8,P); SpatialMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
}
}
Layer S1 {
Type: NGCONV
Stride { X: 1, Y: 1 }
Dimensions { G: 8, K: 2, C: 3, R: 3, S: 3, Y: 10, X: 10 }
Dataflow {
TemporalMap(1,1) G; TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(10,8) X; Cluster(8,P); SpatialMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
}
}
Layer S2 {
Type: NGCONV
Stride { X: 2, Y: 2 }
Dimensions { G: 4, K: 6, C: 5, R: 3, S: 3, Y: 13, X: 13 }
Dataflow {
TemporalMap(1,1) G; TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(10,8) X; Cluster(8,P); SpatialMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
}
}
Layer S3 {
Type: NGCONV
Stride { X: 1, Y: 1 }
Dimensions { G: 16, K: 4, C: 4, R: 1, S: 1, Y: 9, X: 9 }
Dataflow {
TemporalMap(1,1) G; TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(8,8) X; Cluster(8,P); SpatialMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
}
}
Layer S4 {
Type: NGCONV
Stride { X: 1, Y: 1 }
Dimensions { G: 2, K: 16, C: 16, R: 3, S: 3, Y: 15, X: 12 }
Dataflow {
TemporalMap(1,1) G; TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(10,8) X; Cluster(8,P); SpatialMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
}
}
}
