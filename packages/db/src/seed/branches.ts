import { seedId } from './ids.ts';

/** A seeded branch, with what the seed needs to make its people look local. */
export interface SeedBranch {
  id: string;
  /** Lower-case slug used in demo user ids: `manager-kampala`. */
  slug: string;
  code: string;
  name: string;
  city: string;
  address: string;
  phone: string;
  /** Country calling code for client and employee phone numbers. */
  dialCode: string;
}

const branch = (
  slug: string,
  code: string,
  city: string,
  address: string,
  dialCode: string,
  phone: string,
): SeedBranch => ({
  id: seedId('branch', slug),
  slug,
  code,
  name: `Dynapharm ${city}`,
  city,
  address,
  phone: `${dialCode} ${phone}`,
  dialCode,
});

export const seedBranches: readonly SeedBranch[] = [
  branch('kampala', 'KLA-01', 'Kampala', 'Plot 14, Kampala Road', '+256', '414 230 118'),
  branch('nairobi', 'NBO-01', 'Nairobi', 'Moi Avenue 221, CBD', '+254', '20 221 4470'),
  branch('dar-es-salaam', 'DAR-01', 'Dar es Salaam', 'Samora Avenue 35', '+255', '22 211 9023'),
  branch('kigali', 'KGL-01', 'Kigali', 'KN 4 Avenue 12, Nyarugenge', '+250', '788 310 442'),
  branch('mombasa', 'MBA-01', 'Mombasa', 'Nkrumah Road 18', '+254', '41 231 5508'),
];
