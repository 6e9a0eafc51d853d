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
)
