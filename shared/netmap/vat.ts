/**
 * Volume of tissue activated (VAT) as a sphere around the active contact, with the radius
 * from the stimulation settings by Mädler & Coenen (2012, AJNR 33:1072, their eq. 3) as
 * Lead-DBS implements it:
 *
 *   r [mm] = −(k4·Im − √(k4²·Im² + 2·k1·k4·Im + k1² + 4·k3·U) + k1) / (2·k3),
 *   k1 = −1.0473, k3 = 0.2786, k4 = 0.0009856,
 *
 * U the amplitude in volts and Im the electrode impedance in ohms (clinically 500–1500 Ω;
 * default 1000 Ω). Equivalently r is the positive root of k3·r² + (k1 + k4·Im)·r = U. We
 * set r = 0 for U = 0 (no stimulation): the formula itself would give (|a| − a)/(2k3) with
 * a = k1 + k4·Im, which is 0.22 mm for Im = 1000 Ω.
 *
 * Current-controlled settings (amplitude in mA) are converted by Ohm's law, U = I·Im with
 * I in amperes (I = amplitude / 1000). The model has no pulse-width term; `pulseWidthUs`
 * is checked and recorded, not used.
 */
import { InvalidParameter } from '../errors.ts';
import { type GridGeometry, sphereMask } from '../volume/spheres.ts';

export const MADLER_COENEN_2012 = { k1: -1.0473, k3: 0.2786, k4: 0.0009856 } as const;

export const DEFAULT_IMPEDANCE_OHM = 1000;

export interface StimulationSetting {
  /** volts for mode 'voltage', milliamperes for mode 'current' */
  amplitude: number;
  mode: 'voltage' | 'current';
  /** µs; recorded only (the sphere model has no pulse-width term) */
  pulseWidthUs?: number;
  /** Ω; default 1000 */
  impedanceOhm?: number;
}

/** Stimulation voltage in volts: the amplitude for voltage mode, I·Im (I in A) for current mode. */
export function stimulationVoltage(s: StimulationSetting, input = 'stimulation'): number {
  const im = s.impedanceOhm ?? DEFAULT_IMPEDANCE_OHM;
  if (!Number.isFinite(im) || im <= 0 || im > 100_000) throw new InvalidParameter(`impedance must be in (0, 100000] Ω, got ${im}`, `${input}.impedanceOhm`);
  if (!Number.isFinite(s.amplitude) || s.amplitude < 0) throw new InvalidParameter(`amplitude must be a finite number ≥ 0, got ${s.amplitude}`, `${input}.amplitude`);
  if (s.pulseWidthUs !== undefined && !(Number.isFinite(s.pulseWidthUs) && s.pulseWidthUs > 0 && s.pulseWidthUs <= 10_000)) {
    throw new InvalidParameter(`pulse width must be in (0, 10000] µs, got ${s.pulseWidthUs}`, `${input}.pulseWidthUs`);
  }
  if (s.mode === 'voltage') {
    if (s.amplitude > 30) throw new InvalidParameter(`voltage amplitude ${s.amplitude} V is above 30 V; is it in mA (mode 'current')?`, `${input}.amplitude`);
    return s.amplitude;
  }
  if (s.mode === 'current') {
    if (s.amplitude > 50) throw new InvalidParameter(`current amplitude ${s.amplitude} mA is above 50 mA`, `${input}.amplitude`);
    return (s.amplitude / 1000) * im;
  }
  throw new InvalidParameter(`mode must be 'voltage' or 'current', got ${String(s.mode)}`, `${input}.mode`);
}

/** VAT radius in mm (Mädler & Coenen 2012 eq. 3); 0 for zero amplitude. */
export function vatRadiusMm(s: StimulationSetting, input = 'stimulation'): number {
  const U = stimulationVoltage(s, input);
  if (U === 0) return 0;
  const im = s.impedanceOhm ?? DEFAULT_IMPEDANCE_OHM;
  const { k1, k3, k4 } = MADLER_COENEN_2012;
  return -(k4 * im - Math.sqrt(k4 * k4 * im * im + 2 * k1 * k4 * im + k1 * k1 + 4 * k3 * U) + k1) / (2 * k3);
}

export interface ActiveContact {
  /** MNI mm of the contact centre */
  mm: readonly [number, number, number];
  setting: StimulationSetting;
}

/**
 * A patient's VAT on a grid: the union of spheres of the model radius around each active
 * contact (inclusive rule of shared/volume/spheres.ts), restricted to `within`. Contacts
 * with zero amplitude add nothing. Returns the mask and the radii used.
 */
export function vatMask(grid: GridGeometry, contacts: readonly ActiveContact[], within?: Uint8Array, input = 'vat'): { mask: Uint8Array; radiiMm: number[] } {
  if (contacts.length === 0) throw new InvalidParameter('a VAT needs at least one active contact', input);
  const N = grid.dims[0] * grid.dims[1] * grid.dims[2];
  const mask = new Uint8Array(N);
  const radiiMm = contacts.map((c, i) => {
    const r = vatRadiusMm(c.setting, `${input}[${i}]`);
    if (r > 0) {
      const m = sphereMask(grid, [c.mm], r, within, `${input}[${i}]`);
      for (let v = 0; v < N; v++) if (m[v]) mask[v] = 1;
    }
    return r;
  });
  return { mask, radiiMm };
}
