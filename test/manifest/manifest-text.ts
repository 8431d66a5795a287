// A manifest with every section the lock's inputs hash covers (miniconda, conda, pip),
// as manifests written before environments: were.
export const MANIFEST_ALL_SECTIONS = `language: python
miniconda:
- flavor: Miniconda3
  version: py311_24.1.2-0
  cf_stacks: [cflinuxfs4]
conda:
  channels: [https://conda.anaconda.org/conda-forge]
  specs: ["numpy=1.26.4"]
  files: [conda-requirements.txt]
pip:
  requirements: ["requests==2.31.0"]
  files: [requirements.txt]
`;
