// asl-validator 4 ships no types; this is the part the tests use.
declare module 'asl-validator' {
  function aslValidator(definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }): { isValid: boolean; errors: unknown[] };
  export = aslValidator;
}
