// ValidateOrder: an unchanged Lambda handler. Throws InvalidOrderError
// (its errorType) for an order without items.
class InvalidOrderError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvalidOrderError';
  }
}

export const handler = async (event) => {
  if (!Array.isArray(event.items) || event.items.length === 0) {
    throw new InvalidOrderError(`order ${event.orderId} has no items`);
  }
  const total = event.items.reduce((sum, item) => sum + item.price * item.quantity, 0);
  return { ...event, total, validated: true };
};
