;; Hand-written WebAssembly SIMD kernels (f64x2). Every lane performs exactly the
;; IEEE operations of the plain JavaScript loop it replaces, in the same order (no
;; fused multiply-add), so results are bit-identical to the scalar twins.
;; Regenerate kernels.ts with ./regenerate.sh (needs wat2wasm from wabt).
(module
  (import "env" "memory" (memory 1))

  ;; Freedman–Lane accumulation for one voxel block:
  ;;   a[j*block + b] += Qp[r*p + j] * E[r*V + v0 + b] + Qp[(r+1)*p + j] * E[(r+1)*V + v0 + b]
  ;; over row pairs r = 0, 2, 4, …, then a[j*block + b] += Qp[r*p + j] * E[r*V + v0 + b]
  ;; for an odd last row; b < bl, j < p. All pointers are byte offsets of f64 arrays.
  (func (export "permAccumulate")
    (param $e i32) (param $V i32) (param $n i32) (param $p i32) (param $qp i32)
    (param $a i32) (param $v0 i32) (param $bl i32) (param $block i32)
    (local $r i32) (local $j i32) (local $b i32) (local $e0 i32) (local $e1 i32)
    (local $ao i32) (local $q0 v128) (local $q1 v128) (local $s0 f64) (local $s1 f64)
    (local $bl2 i32) (local $row i32)
    (local.set $bl2 (i32.and (local.get $bl) (i32.const -2)))
    (local.set $row (i32.shl (local.get $V) (i32.const 3)))
    (local.set $r (i32.const 0))
    (block $pairsDone
      (loop $pairs
        (br_if $pairsDone (i32.gt_s (i32.add (local.get $r) (i32.const 2)) (local.get $n)))
        (local.set $e0 (i32.add (local.get $e)
          (i32.shl (i32.add (i32.mul (local.get $r) (local.get $V)) (local.get $v0)) (i32.const 3))))
        (local.set $e1 (i32.add (local.get $e0) (local.get $row)))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $js
            (br_if $jDone (i32.ge_s (local.get $j) (local.get $p)))
            (local.set $s0 (f64.load (i32.add (local.get $qp)
              (i32.shl (i32.add (i32.mul (local.get $r) (local.get $p)) (local.get $j)) (i32.const 3)))))
            (local.set $s1 (f64.load (i32.add (local.get $qp)
              (i32.shl (i32.add (i32.mul (i32.add (local.get $r) (i32.const 1)) (local.get $p)) (local.get $j)) (i32.const 3)))))
            (local.set $q0 (f64x2.splat (local.get $s0)))
            (local.set $q1 (f64x2.splat (local.get $s1)))
            (local.set $ao (i32.add (local.get $a) (i32.shl (i32.mul (local.get $j) (local.get $block)) (i32.const 3))))
            (local.set $b (i32.const 0))
            (block $bDone
              (loop $bs
                (br_if $bDone (i32.ge_s (local.get $b) (local.get $bl2)))
                (v128.store (i32.add (local.get $ao) (i32.shl (local.get $b) (i32.const 3)))
                  (f64x2.add
                    (v128.load (i32.add (local.get $ao) (i32.shl (local.get $b) (i32.const 3))))
                    (f64x2.add
                      (f64x2.mul (local.get $q0) (v128.load (i32.add (local.get $e0) (i32.shl (local.get $b) (i32.const 3)))))
                      (f64x2.mul (local.get $q1) (v128.load (i32.add (local.get $e1) (i32.shl (local.get $b) (i32.const 3))))))))
                (local.set $b (i32.add (local.get $b) (i32.const 2)))
                (br $bs)))
            (if (i32.lt_s (local.get $b) (local.get $bl))
              (then
                (f64.store (i32.add (local.get $ao) (i32.shl (local.get $b) (i32.const 3)))
                  (f64.add
                    (f64.load (i32.add (local.get $ao) (i32.shl (local.get $b) (i32.const 3))))
                    (f64.add
                      (f64.mul (local.get $s0) (f64.load (i32.add (local.get $e0) (i32.shl (local.get $b) (i32.const 3)))))
                      (f64.mul (local.get $s1) (f64.load (i32.add (local.get $e1) (i32.shl (local.get $b) (i32.const 3))))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $js)))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $pairs)))
    ;; odd last row
    (if (i32.lt_s (local.get $r) (local.get $n))
      (then
        (local.set $e0 (i32.add (local.get $e)
          (i32.shl (i32.add (i32.mul (local.get $r) (local.get $V)) (local.get $v0)) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $jDone2
          (loop $js2
            (br_if $jDone2 (i32.ge_s (local.get $j) (local.get $p)))
            (local.set $s0 (f64.load (i32.add (local.get $qp)
              (i32.shl (i32.add (i32.mul (local.get $r) (local.get $p)) (local.get $j)) (i32.const 3)))))
            (local.set $q0 (f64x2.splat (local.get $s0)))
            (local.set $ao (i32.add (local.get $a) (i32.shl (i32.mul (local.get $j) (local.get $block)) (i32.const 3))))
            (local.set $b (i32.const 0))
            (block $bDone2
              (loop $bs2
                (br_if $bDone2 (i32.ge_s (local.get $b) (local.get $bl2)))
                (v128.store (i32.add (local.get $ao) (i32.shl (local.get $b) (i32.const 3)))
                  (f64x2.add
                    (v128.load (i32.add (local.get $ao) (i32.shl (local.get $b) (i32.const 3))))
                    (f64x2.mul (local.get $q0) (v128.load (i32.add (local.get $e0) (i32.shl (local.get $b) (i32.const 3)))))))
                (local.set $b (i32.add (local.get $b) (i32.const 2)))
                (br $bs2)))
            (if (i32.lt_s (local.get $b) (local.get $bl))
              (then
                (f64.store (i32.add (local.get $ao) (i32.shl (local.get $b) (i32.const 3)))
                  (f64.add
                    (f64.load (i32.add (local.get $ao) (i32.shl (local.get $b) (i32.const 3))))
                    (f64.mul (local.get $s0) (f64.load (i32.add (local.get $e0) (i32.shl (local.get $b) (i32.const 3)))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $js2)))))
  )

  ;; Seed-to-voxel accumulation for voxels v0 ≤ v < v1 and four seeds:
  ;;   acc[k*V + v] = Σ_t s[t*4 + k] · x[t*V + v]   (t ascending, x float32 widened to f64)
  ;;   sq[v] = Σ_t x[t*V + v]²                      (only when withSq ≠ 0)
  ;; Two voxels per f64x2 lane pair; the sums run over t in order, as the JS twin's.
  (func (export "seedAccumulate")
    (param $x i32) (param $V i32) (param $T i32) (param $s i32) (param $acc i32) (param $sq i32)
    (param $withSq i32) (param $v0 i32) (param $v1 i32)
    (local $v i32) (local $t i32) (local $xp i32) (local $sp i32) (local $row i32)
    (local $xv v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $q v128)
    (local $xs f64) (local $b0 f64) (local $b1 f64) (local $b2 f64) (local $b3 f64) (local $qs f64)
    (local $vec1 i32) (local $o i32)
    (local.set $row (i32.shl (local.get $V) (i32.const 2)))
    (local.set $vec1 (i32.sub (local.get $v1) (i32.and (i32.sub (local.get $v1) (local.get $v0)) (i32.const 1))))
    (local.set $v (local.get $v0))
    (block $vDone
      (loop $vs
        (br_if $vDone (i32.ge_s (local.get $v) (local.get $vec1)))
        (local.set $a0 (v128.const f64x2 0 0))
        (local.set $a1 (v128.const f64x2 0 0))
        (local.set $a2 (v128.const f64x2 0 0))
        (local.set $a3 (v128.const f64x2 0 0))
        (local.set $q (v128.const f64x2 0 0))
        (local.set $xp (i32.add (local.get $x) (i32.shl (local.get $v) (i32.const 2))))
        (local.set $sp (local.get $s))
        (local.set $t (i32.const 0))
        (block $tDone
          (loop $ts
            (br_if $tDone (i32.ge_s (local.get $t) (local.get $T)))
            (local.set $xv (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $xp))))
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (f64x2.splat (f64.load (local.get $sp))) (local.get $xv))))
            (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (f64x2.splat (f64.load offset=8 (local.get $sp))) (local.get $xv))))
            (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (f64x2.splat (f64.load offset=16 (local.get $sp))) (local.get $xv))))
            (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (f64x2.splat (f64.load offset=24 (local.get $sp))) (local.get $xv))))
            (local.set $q (f64x2.add (local.get $q) (f64x2.mul (local.get $xv) (local.get $xv))))
            (local.set $xp (i32.add (local.get $xp) (local.get $row)))
            (local.set $sp (i32.add (local.get $sp) (i32.const 32)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $ts)))
        (local.set $o (i32.add (local.get $acc) (i32.shl (local.get $v) (i32.const 3))))
        (v128.store (local.get $o) (local.get $a0))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $V) (i32.const 3))))
        (v128.store (local.get $o) (local.get $a1))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $V) (i32.const 3))))
        (v128.store (local.get $o) (local.get $a2))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $V) (i32.const 3))))
        (v128.store (local.get $o) (local.get $a3))
        (if (local.get $withSq)
          (then (v128.store (i32.add (local.get $sq) (i32.shl (local.get $v) (i32.const 3))) (local.get $q))))
        (local.set $v (i32.add (local.get $v) (i32.const 2)))
        (br $vs)))
    ;; odd last voxel, scalar
    (if (i32.lt_s (local.get $v) (local.get $v1))
      (then
        (local.set $b0 (f64.const 0))
        (local.set $b1 (f64.const 0))
        (local.set $b2 (f64.const 0))
        (local.set $b3 (f64.const 0))
        (local.set $qs (f64.const 0))
        (local.set $xp (i32.add (local.get $x) (i32.shl (local.get $v) (i32.const 2))))
        (local.set $sp (local.get $s))
        (local.set $t (i32.const 0))
        (block $tDone2
          (loop $ts2
            (br_if $tDone2 (i32.ge_s (local.get $t) (local.get $T)))
            (local.set $xs (f64.promote_f32 (f32.load (local.get $xp))))
            (local.set $b0 (f64.add (local.get $b0) (f64.mul (f64.load (local.get $sp)) (local.get $xs))))
            (local.set $b1 (f64.add (local.get $b1) (f64.mul (f64.load offset=8 (local.get $sp)) (local.get $xs))))
            (local.set $b2 (f64.add (local.get $b2) (f64.mul (f64.load offset=16 (local.get $sp)) (local.get $xs))))
            (local.set $b3 (f64.add (local.get $b3) (f64.mul (f64.load offset=24 (local.get $sp)) (local.get $xs))))
            (local.set $qs (f64.add (local.get $qs) (f64.mul (local.get $xs) (local.get $xs))))
            (local.set $xp (i32.add (local.get $xp) (local.get $row)))
            (local.set $sp (i32.add (local.get $sp) (i32.const 32)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $ts2)))
        (local.set $o (i32.add (local.get $acc) (i32.shl (local.get $v) (i32.const 3))))
        (f64.store (local.get $o) (local.get $b0))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $V) (i32.const 3))))
        (f64.store (local.get $o) (local.get $b1))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $V) (i32.const 3))))
        (f64.store (local.get $o) (local.get $b2))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $V) (i32.const 3))))
        (f64.store (local.get $o) (local.get $b3))
        (if (local.get $withSq)
          (then (f64.store (i32.add (local.get $sq) (i32.shl (local.get $v) (i32.const 3))) (local.get $qs))))))
  )
)
