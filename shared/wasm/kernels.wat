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
)
