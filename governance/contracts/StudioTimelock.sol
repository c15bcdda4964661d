// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

// The DAO's timelock is OpenZeppelin's stock TimelockController, unchanged. This file only
// pulls it into the build so that `artifacts/TimelockController.json` is produced.
// Deploy it with (minDelay, proposers = [], executors = [address(0)], admin = deployer), then
// grant the governor PROPOSER_ROLE and CANCELLER_ROLE and renounce the deployer's admin role.
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
