// A plain Lambda handler (ESM, as written for AWS's Node.js runtimes), run
// unchanged by aws-lambda-ric under `stepwise lambda-runtime` in
// tests/lambda/lambda_runtime_test.sh. The event says what to do.
class CustomError extends Error {
  constructor(message) {
    super(message);
    this.name = "CustomError";
  }
}

export const handler = async (event, context) => {
  if (event && event.throw) throw new CustomError(event.throw);
  if (event && event.exit !== undefined) process.exit(event.exit);
  if (event && event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  return {
    echo: event,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    requestIdIsUuid: /^[0-9a-f-]{36}$/.test(context.awsRequestId),
    logGroupName: context.logGroupName,
    timeLeft: context.getRemainingTimeInMillis() > 0,
  };
};
