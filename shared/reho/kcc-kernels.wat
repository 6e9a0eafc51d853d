;; WebAssembly SIMD kernels of kendallWCentred (i16x8 rank rows). Rank rows are centred doubled
;; ranks (Int16, rows padded with zeros to a multiple of 8); every sum is exact integer
;; arithmetic, so results equal the JavaScript path exactly. Regenerate kcc-kernels.ts with
;; ./regenerate-wasm.sh (wat2wasm, wabt).
(module
  (import "env" "memory" (memory 1))

  ;; dst = a + b + c over n Int16 lanes (n a multiple of 8; byte offsets, 16-byte aligned)
  (func (export "add3") (param $dst i32) (param $a i32) (param $b i32) (param $c i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 1)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (v128.store (i32.add (local.get $dst) (local.get $i))
          (i16x8.add (i16x8.add (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $i))))
            (v128.load (i32.add (local.get $c) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l)))
  )

  ;; Σ_t (a_t + b_t + c_t)² over n Int16 lanes, exact (i64 accumulation), as f64
  (func (export "sumsq3") (param $a i32) (param $b i32) (param $c i32) (param $n i32) (result f64)
    (local $i i32) (local $end i32) (local $r v128) (local $q v128) (local $acc v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 1)))
    (local.set $acc (i64x2.splat (i64.const 0)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $r (i16x8.add (i16x8.add (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $i))))
            (v128.load (i32.add (local.get $c) (local.get $i)))))
        (local.set $q (i32x4.dot_i16x8_s (local.get $r) (local.get $r)))
        (local.set $acc (i64x2.add (local.get $acc) (i64x2.add (i64x2.extend_low_i32x4_s (local.get $q)) (i64x2.extend_high_i32x4_s (local.get $q)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l)))
    (f64.convert_i64_s (i64.add (i64x2.extract_lane 0 (local.get $acc)) (i64x2.extract_lane 1 (local.get $acc))))
  )
  ;; Centred doubled ranks of n f64 values at x into n Int16 at out (rankSeriesCentred's bucket
  ;; sort, the same integer steps): returns 1, or 0 (nothing written) when the range is not finite
  ;; or a bucket holds more than $limit values — the caller then ranks by the merge sort.
  ;; Scratch: of (i32 × n), start (i32 × n + 1), vals (f64 × n), idx (i32 × n).
  (func (export "rank") (param $x i32) (param $n i32) (param $out i32) (param $of i32) (param $start i32) (param $vals i32) (param $idx i32) (param $limit i32) (result i32)
    (local $t i32) (local $v f64) (local $lo f64) (local $hi f64) (local $scale f64) (local $b i32) (local $B1 i32)
    (local $c i32) (local $ok i32) (local $q i32) (local $i i32) (local $j i32) (local $id i32) (local $d i32)
    (local $lv v128) (local $hv v128) (local $vv v128)
    ;; min and max, two lanes at a time (pmin/pmax: the value strictly below/above is taken, as in
    ;; the scalar loop; a ±0 choice cannot change a bucket: hi − lo and (x − lo)·scale truncate alike)
    (local.set $lv (f64x2.splat (f64.load (local.get $x))))
    (local.set $hv (local.get $lv))
    (local.set $t (i32.const 0))
    (block $mmDone
      (loop $mm
        (br_if $mmDone (i32.gt_s (i32.add (local.get $t) (i32.const 2)) (local.get $n)))
        (local.set $vv (v128.load (i32.add (local.get $x) (i32.shl (local.get $t) (i32.const 3)))))
        (local.set $lv (f64x2.pmin (local.get $lv) (local.get $vv)))
        (local.set $hv (f64x2.pmax (local.get $hv) (local.get $vv)))
        (local.set $t (i32.add (local.get $t) (i32.const 2)))
        (br $mm)))
    (if (i32.lt_s (local.get $t) (local.get $n))
      (then
        (local.set $vv (v128.load64_splat (i32.add (local.get $x) (i32.shl (local.get $t) (i32.const 3)))))
        (local.set $lv (f64x2.pmin (local.get $lv) (local.get $vv)))
        (local.set $hv (f64x2.pmax (local.get $hv) (local.get $vv)))))
    (local.set $lo (f64x2.extract_lane 0 (local.get $lv)))
    (local.set $v (f64x2.extract_lane 1 (local.get $lv)))
    (if (f64.lt (local.get $v) (local.get $lo)) (then (local.set $lo (local.get $v))))
    (local.set $hi (f64x2.extract_lane 0 (local.get $hv)))
    (local.set $v (f64x2.extract_lane 1 (local.get $hv)))
    (if (f64.gt (local.get $v) (local.get $hi)) (then (local.set $hi (local.get $v))))
    (if (f64.eq (local.get $lo) (local.get $hi))
      (then
        (local.set $t (i32.const 0))
        (block $zDone
          (loop $zs
            (br_if $zDone (i32.ge_s (local.get $t) (local.get $n)))
            (i32.store16 (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 1))) (i32.const 0))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $zs)))
        (return (i32.const 1))))
    (local.set $B1 (i32.sub (local.get $n) (i32.const 1)))
    (local.set $scale (f64.div (f64.convert_i32_s (local.get $B1)) (f64.sub (local.get $hi) (local.get $lo))))
    (if (i32.eqz (i32.and (f64.gt (local.get $scale) (f64.const 0)) (f64.lt (local.get $scale) (f64.const inf))))
      (then (return (i32.const 0))))
    (memory.fill (local.get $start) (i32.const 0) (i32.shl (i32.add (local.get $n) (i32.const 1)) (i32.const 2)))
    (local.set $t (i32.const 0))
    (block $bDone
      (loop $bs
        (br_if $bDone (i32.ge_s (local.get $t) (local.get $n)))
        (local.set $b (i32.trunc_sat_f64_s (f64.mul (f64.sub (f64.load (i32.add (local.get $x) (i32.shl (local.get $t) (i32.const 3)))) (local.get $lo)) (local.get $scale))))
        (if (i32.gt_s (local.get $b) (local.get $B1)) (then (local.set $b (local.get $B1))))
        (i32.store (i32.add (local.get $of) (i32.shl (local.get $t) (i32.const 2))) (local.get $b))
        (local.set $q (i32.add (local.get $start) (i32.shl (i32.add (local.get $b) (i32.const 1)) (i32.const 2))))
        (i32.store (local.get $q) (i32.add (i32.load (local.get $q)) (i32.const 1)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $bs)))
    (local.set $ok (i32.const 1))
    (local.set $b (i32.const 0))
    (block $pDone
      (loop $ps
        (br_if $pDone (i32.ge_s (local.get $b) (local.get $n)))
        (local.set $q (i32.add (local.get $start) (i32.shl (local.get $b) (i32.const 2))))
        (local.set $c (i32.load offset=4 (local.get $q)))
        (if (i32.gt_s (local.get $c) (local.get $limit)) (then (local.set $ok (i32.const 0))))
        (i32.store offset=4 (local.get $q) (i32.add (local.get $c) (i32.load (local.get $q))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $ps)))
    (if (i32.eqz (local.get $ok)) (then (return (i32.const 0))))
    ;; scatter into bucket order
    (local.set $t (i32.const 0))
    (block $sDone
      (loop $ss
        (br_if $sDone (i32.ge_s (local.get $t) (local.get $n)))
        (local.set $q (i32.add (local.get $start) (i32.shl (i32.load (i32.add (local.get $of) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 2))))
        (local.set $c (i32.load (local.get $q)))
        (i32.store (local.get $q) (i32.add (local.get $c) (i32.const 1)))
        (f64.store (i32.add (local.get $vals) (i32.shl (local.get $c) (i32.const 3))) (f64.load (i32.add (local.get $x) (i32.shl (local.get $t) (i32.const 3)))))
        (i32.store (i32.add (local.get $idx) (i32.shl (local.get $c) (i32.const 2))) (local.get $t))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $ss)))
    ;; one insertion pass
    (local.set $i (i32.const 1))
    (block $iDone
      (loop $is
        (br_if $iDone (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $v (f64.load (i32.add (local.get $vals) (i32.shl (local.get $i) (i32.const 3)))))
        (if (f64.gt (f64.load (i32.add (local.get $vals) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 3)))) (local.get $v))
          (then
            (local.set $id (i32.load (i32.add (local.get $idx) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $j (i32.sub (local.get $i) (i32.const 1)))
            (block $mDone
              (loop $ms
                (br_if $mDone (i32.lt_s (local.get $j) (i32.const 0)))
                (br_if $mDone (i32.eqz (f64.gt (f64.load (i32.add (local.get $vals) (i32.shl (local.get $j) (i32.const 3)))) (local.get $v))))
                (f64.store offset=8 (i32.add (local.get $vals) (i32.shl (local.get $j) (i32.const 3))) (f64.load (i32.add (local.get $vals) (i32.shl (local.get $j) (i32.const 3)))))
                (i32.store offset=4 (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2))) (i32.load (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2)))))
                (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                (br $ms)))
            (f64.store offset=8 (i32.add (local.get $vals) (i32.shl (local.get $j) (i32.const 3))) (local.get $v))
            (i32.store offset=4 (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2))) (local.get $id))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $is)))
    ;; tie groups at sorted positions i..j: d = i + j + 1 − n
    (local.set $i (i32.const 0))
    (block $tDone
      (loop $ts
        (br_if $tDone (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $v (f64.load (i32.add (local.get $vals) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $j (local.get $i))
        (block $eqDone
          (loop $eqs
            (br_if $eqDone (i32.ge_s (i32.add (local.get $j) (i32.const 1)) (local.get $n)))
            (br_if $eqDone (f64.ne (f64.load offset=8 (i32.add (local.get $vals) (i32.shl (local.get $j) (i32.const 3)))) (local.get $v)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $eqs)))
        (local.set $d (i32.sub (i32.add (i32.add (local.get $i) (local.get $j)) (i32.const 1)) (local.get $n)))
        (block $wDone
          (loop $ws
            (br_if $wDone (i32.gt_s (local.get $i) (local.get $j)))
            (i32.store16 (i32.add (local.get $out) (i32.shl (i32.load (i32.add (local.get $idx) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 1))) (local.get $d))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $ws)))
        (br $ts)))
    (i32.const 1)
  )
)
