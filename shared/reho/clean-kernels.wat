;; WebAssembly SIMD kernels of SeriesCleaner (f64x2). Two series a, b are held interleaved
;; as complex numbers z_t = (a_t, b_t); every lane performs exactly the IEEE operations of the
;; JavaScript path of SeriesCleaner, in the same order (no fused multiply-add), so the cleaned
;; series are bit-identical to it. Regenerate clean-kernels.ts with ./regenerate-wasm.sh (wat2wasm, wabt).
(module
  (import "env" "memory" (memory 1))

  ;; out[j] = Σ_t pinv[j*T + t] · z_t for j < p (both lanes: the two series), t in order.
  ;; Rows four at a time (each z_t load feeds four products). Byte offsets; z, out: 16-byte
  ;; complex entries; pinv: f64.
  (func (export "beta") (param $z i32) (param $pinv i32) (param $T i32) (param $p i32) (param $out i32)
    (local $j i32) (local $t i32) (local $zp i32) (local $w i32) (local $row i32) (local $y v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $row (i32.shl (local.get $T) (i32.const 3)))
    (local.set $j (i32.const 0))
    (block $quadsDone
      (loop $quads
        (br_if $quadsDone (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $p)))
        (local.set $a0 (f64x2.splat (f64.const 0)))
        (local.set $a1 (f64x2.splat (f64.const 0)))
        (local.set $a2 (f64x2.splat (f64.const 0)))
        (local.set $a3 (f64x2.splat (f64.const 0)))
        (local.set $w (i32.add (local.get $pinv) (i32.mul (local.get $j) (local.get $row))))
        (local.set $zp (local.get $z))
        (local.set $t (i32.const 0))
        (block $tDone
          (loop $ts
            (br_if $tDone (i32.ge_s (local.get $t) (local.get $T)))
            (local.set $y (v128.load (local.get $zp)))
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (f64x2.splat (f64.load (local.get $w))) (local.get $y))))
            (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (f64x2.splat (f64.load (i32.add (local.get $w) (local.get $row)))) (local.get $y))))
            (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (f64x2.splat (f64.load (i32.add (local.get $w) (i32.shl (local.get $row) (i32.const 1))))) (local.get $y))))
            (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (f64x2.splat (f64.load (i32.add (local.get $w) (i32.mul (local.get $row) (i32.const 3))))) (local.get $y))))
            (local.set $w (i32.add (local.get $w) (i32.const 8)))
            (local.set $zp (i32.add (local.get $zp) (i32.const 16)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $ts)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 4))) (local.get $a0))
        (v128.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 4))) (local.get $a1))
        (v128.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $j) (i32.const 2)) (i32.const 4))) (local.get $a2))
        (v128.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $j) (i32.const 3)) (i32.const 4))) (local.get $a3))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $quads)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $j) (local.get $p)))
        (local.set $a0 (f64x2.splat (f64.const 0)))
        (local.set $w (i32.add (local.get $pinv) (i32.mul (local.get $j) (local.get $row))))
        (local.set $zp (local.get $z))
        (local.set $t (i32.const 0))
        (block $t1Done
          (loop $t1s
            (br_if $t1Done (i32.ge_s (local.get $t) (local.get $T)))
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (f64x2.splat (f64.load (local.get $w))) (v128.load (local.get $zp)))))
            (local.set $w (i32.add (local.get $w) (i32.const 8)))
            (local.set $zp (i32.add (local.get $zp) (i32.const 16)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $t1s)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 4))) (local.get $a0))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $rows)))
  )

  ;; In-place radix-2 FFT of n complex entries at z (n ≥ 2 a power of two): bit-reversal with
  ;; rev (i32), a twiddle-free size-2 stage, then stages half = 2, 4, … with twiddles
  ;; (wr[o], sgn·wfi[o]) at o = half − 1 + k (f64 tables); sgn = −1 when inv ≠ 0 (unscaled inverse).
  (func (export "fft") (param $z i32) (param $n i32) (param $wr i32) (param $wfi i32) (param $rev i32) (param $inv i32)
    (local $i i32) (local $j i32) (local $pa i32) (local $pb i32) (local $tmp v128) (local $x v128) (local $av v128)
    (local $half i32) (local $size i32) (local $k i32) (local $cr v128) (local $ci v128) (local $c f64) (local $bv v128)
    (local $stride i32) (local $end i32) (local $hb i32)
    ;; bit reversal
    (local.set $i (i32.const 0))
    (block $revDone
      (loop $revs
        (br_if $revDone (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $j (i32.load (i32.add (local.get $rev) (i32.shl (local.get $i) (i32.const 2)))))
        (if (i32.gt_s (local.get $j) (local.get $i))
          (then
            (local.set $pa (i32.add (local.get $z) (i32.shl (local.get $i) (i32.const 4))))
            (local.set $pb (i32.add (local.get $z) (i32.shl (local.get $j) (i32.const 4))))
            (local.set $tmp (v128.load (local.get $pa)))
            (v128.store (local.get $pa) (v128.load (local.get $pb)))
            (v128.store (local.get $pb) (local.get $tmp))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $revs)))
    ;; size 2
    (local.set $end (i32.add (local.get $z) (i32.shl (local.get $n) (i32.const 4))))
    (local.set $pa (local.get $z))
    (block $s2Done
      (loop $s2
        (br_if $s2Done (i32.ge_u (local.get $pa) (local.get $end)))
        (local.set $x (v128.load offset=16 (local.get $pa)))
        (local.set $av (v128.load (local.get $pa)))
        (v128.store offset=16 (local.get $pa) (f64x2.sub (local.get $av) (local.get $x)))
        (v128.store (local.get $pa) (f64x2.add (local.get $av) (local.get $x)))
        (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
        (br $s2)))
    (local.set $half (i32.const 2))
    (block $stagesDone
      (loop $stages
        (br_if $stagesDone (i32.ge_s (local.get $half) (local.get $n)))
        (local.set $size (i32.shl (local.get $half) (i32.const 1)))
        (local.set $stride (i32.shl (local.get $size) (i32.const 4)))
        (local.set $hb (i32.shl (local.get $half) (i32.const 4)))
        (local.set $k (i32.const 0))
        (block $kDone
          (loop $ks
            (br_if $kDone (i32.ge_s (local.get $k) (local.get $half)))
            (local.set $i (i32.shl (i32.add (i32.sub (local.get $half) (i32.const 1)) (local.get $k)) (i32.const 3)))
            (local.set $cr (f64x2.splat (f64.load (i32.add (local.get $wr) (local.get $i)))))
            (local.set $c (f64.load (i32.add (local.get $wfi) (local.get $i))))
            (if (local.get $inv) (then (local.set $c (f64.neg (local.get $c)))))
            ;; (−ci, ci)
            (local.set $ci (f64x2.replace_lane 0 (f64x2.splat (local.get $c)) (f64.neg (local.get $c))))
            (local.set $pa (i32.add (local.get $z) (i32.shl (local.get $k) (i32.const 4))))
            (block $aDone
              (loop $as
                (br_if $aDone (i32.ge_u (local.get $pa) (local.get $end)))
                (local.set $pb (i32.add (local.get $pa) (local.get $hb)))
                (local.set $bv (v128.load (local.get $pb)))
                ;; (br·cr − bi·ci, bi·cr + br·ci)
                (local.set $x (f64x2.add
                  (f64x2.mul (local.get $bv) (local.get $cr))
                  (f64x2.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $bv) (local.get $bv)) (local.get $ci))))
                (local.set $av (v128.load (local.get $pa)))
                (v128.store (local.get $pb) (f64x2.sub (local.get $av) (local.get $x)))
                (v128.store (local.get $pa) (f64x2.add (local.get $av) (local.get $x)))
                (local.set $pa (i32.add (local.get $pa) (local.get $stride)))
                (br $as)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $ks)))
        (local.set $half (local.get $size))
        (br $stages)))
  )
  ;; The band correction: for each of the P positive kept bins q (positions pos[q], i32), with
  ;; ft the per-bin table (FX_j real, imaginary) at ft[(q·p1 + j)·2 + 0/1] (f64) and f1r, f1i (K):
  ;;   out[2q]     = d·f1r[iq] + Σ_j bz_j·fxr_j(q)   (lanes: series a, b → (Ar, Br))
  ;;   out[2q + 1] = d·f1i[iq] + Σ_j bz_j·fxi_j(q)   (→ (Ai, Bi)), j in order
  ;; where d = (da, db) is the complex entry at $d and bz holds p1 complex entries.
  (func (export "correct") (param $bz i32) (param $p1 i32) (param $ft i32)
    (param $pos i32) (param $P i32) (param $d i32) (param $f1r i32) (param $f1i i32) (param $out i32)
    (local $q i32) (local $iq i32) (local $j i32) (local $o i32) (local $ar v128) (local $ai v128) (local $b v128) (local $dv v128) (local $bp i32)
    (local.set $dv (v128.load (local.get $d)))
    (local.set $o (local.get $ft))
    (local.set $q (i32.const 0))
    (block $qDone
      (loop $qs
        (br_if $qDone (i32.ge_s (local.get $q) (local.get $P)))
        (local.set $iq (i32.shl (i32.load (i32.add (local.get $pos) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 3)))
        (local.set $ar (f64x2.mul (local.get $dv) (f64x2.splat (f64.load (i32.add (local.get $f1r) (local.get $iq))))))
        (local.set $ai (f64x2.mul (local.get $dv) (f64x2.splat (f64.load (i32.add (local.get $f1i) (local.get $iq))))))
        (local.set $bp (local.get $bz))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $js
            (br_if $jDone (i32.ge_s (local.get $j) (local.get $p1)))
            (local.set $b (v128.load (local.get $bp)))
            (local.set $ar (f64x2.add (local.get $ar) (f64x2.mul (local.get $b) (v128.load64_splat (local.get $o)))))
            (local.set $ai (f64x2.add (local.get $ai) (f64x2.mul (local.get $b) (v128.load64_splat offset=8 (local.get $o)))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $js)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $q) (i32.const 5))) (local.get $ar))
        (v128.store offset=16 (i32.add (local.get $out) (i32.shl (local.get $q) (i32.const 5))) (local.get $ai))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $qs)))
  )
)
